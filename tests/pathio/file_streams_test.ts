import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PathIOError } from "../../streams/errors.ts";
import { type FileHandle, fileReadable, fileWritable, MemoryPathIO } from "../../pathio/mod.ts";
import { delay, pseudoRandomBytes, readAll, sha256 } from "../_helpers.ts";
import { rejectsWithKind } from "./_conformance.ts";

/** Wraps a handle and counts what happens to it. */
class CountingHandle implements FileHandle {
  reads = 0;
  writes = 0;
  closes = 0;
  aborts = 0;
  failReadAt = -1;
  failWrite = false;
  constructor(readonly inner: FileHandle) {}
  read(buffer: Uint8Array) {
    if (this.reads++ === this.failReadAt) return Promise.reject(new Error("disk error"));
    return this.inner.read(buffer);
  }
  write(data: Uint8Array) {
    this.writes++;
    if (this.failWrite) return Promise.reject(Object.assign(new Error("full"), { code: "ENOSPC" }));
    return this.inner.write(data);
  }
  seek(offset: number) {
    return this.inner.seek(offset);
  }
  close() {
    this.closes++;
    return this.inner.close();
  }
  abort() {
    this.aborts++;
    return this.inner.abort();
  }
}

async function fileWith(size: number): Promise<{ io: MemoryPathIO; data: Uint8Array }> {
  const io = new MemoryPathIO();
  const data = pseudoRandomBytes(size, 3);
  const handle = await io.open("/f", "write");
  await handle.write(data);
  await handle.close();
  return { io, data };
}

describe("fileReadable", () => {
  test("fresh buffers no larger than chunkSize, whole content, closes at the end", async () => {
    const { io, data } = await fileWith(100_000);
    const handle = new CountingHandle(await io.open("/f", "read"));
    const chunks: Uint8Array[] = [];
    for await (
      const chunk of fileReadable(handle, { chunkSize: 4096 }) as unknown as AsyncIterable<
        Uint8Array
      >
    ) chunks.push(chunk);
    assert.ok(chunks.every((c) => c.byteLength <= 4096 && c.byteLength > 0));
    const buffers = new Set(chunks.map((c) => c.buffer));
    assert.equal(buffers.size, chunks.length, "every chunk has its own buffer");
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) joined.set(c, (at += c.byteLength) - c.byteLength);
    assert.equal(await sha256(joined), await sha256(data));
    assert.equal(handle.closes, 1);
  });

  test("pull-based: reads at most one chunk ahead of the consumer", async () => {
    const { io } = await fileWith(1024 * 1024);
    const handle = new CountingHandle(await io.open("/f", "read"));
    const reader = fileReadable(handle, { chunkSize: 1024 }).getReader();
    await delay(20);
    assert.ok(handle.reads <= 1, `read ${handle.reads} chunks before anyone asked`);
    for (let i = 0; i < 5; i++) await reader.read();
    await delay(20);
    assert.ok(handle.reads <= 6, `read ${handle.reads} chunks for 5 consumed`);
    await reader.cancel();
    assert.equal(handle.closes, 1, "cancel closes the handle");
  });

  test("a read error errors the stream with PathIOError and closes the handle", async () => {
    const { io } = await fileWith(50_000);
    const handle = new CountingHandle(await io.open("/f", "read"));
    handle.failReadAt = 2;
    await assert.rejects(readAll(fileReadable(handle, { chunkSize: 1000 })), (err: unknown) => {
      assert.ok(err instanceof PathIOError);
      assert.equal((err.cause as Error).message, "disk error");
      return true;
    });
    assert.equal(handle.closes, 1);
  });

  test("limit stops early; a pre-aborted signal fails at once", async () => {
    const { io, data } = await fileWith(10_000);
    const limited = await readAll(fileReadable(await io.open("/f", "read"), {
      chunkSize: 3000,
      limit: 7000,
    }));
    assert.deepEqual(limited, data.subarray(0, 7000));
    assert.equal(
      (await readAll(fileReadable(await io.open("/f", "read"), { limit: 0 }))).length,
      0,
    );
    const handle = new CountingHandle(await io.open("/f", "read"));
    await rejectsWithKind(
      readAll(fileReadable(handle, { signal: AbortSignal.abort() })),
      "aborted",
    );
    await delay(5);
    assert.equal(handle.closes, 1);
    assert.equal(handle.reads, 0);
    assert.throws(() => fileReadable(handle, { chunkSize: 0 }), RangeError);
  });
});

describe("fileWritable", () => {
  test("close commits, abort discards", async () => {
    const io = new MemoryPathIO();
    const handle = new CountingHandle(await io.open("/f", "write"));
    const writer = fileWritable(handle).getWriter();
    await writer.write(new TextEncoder().encode("abc"));
    await writer.close();
    assert.equal(handle.closes, 1);
    assert.equal(handle.aborts, 0);
    assert.equal((await io.stat("/f")).size, 3);

    const second = new CountingHandle(await io.open("/f", "write"));
    const w2 = fileWritable(second).getWriter();
    await w2.write(new TextEncoder().encode("longer text"));
    await w2.abort(new Error("client gone"));
    assert.equal(second.aborts, 1);
    assert.equal(second.closes, 0);
    assert.equal((await io.stat("/f")).size, 3, "old content kept");
  });

  test("a failed write discards and surfaces as PathIOError with the backend's kind", async () => {
    const io = new MemoryPathIO();
    const handle = new CountingHandle(await io.open("/f", "write"));
    handle.failWrite = true;
    const writer = fileWritable(handle).getWriter();
    await rejectsWithKind(writer.write(new Uint8Array(10)), "no-space");
    assert.equal(handle.aborts, 1);
    assert.equal(await io.exists("/f"), false);
  });

  test("backpressure: one chunk is written at a time", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow: FileHandle = {
      read: () => Promise.resolve(null),
      write: async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await delay(2);
        inFlight--;
      },
      seek: () => Promise.resolve(),
      close: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    };
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 20; i++) c.enqueue(new Uint8Array(10));
        c.close();
      },
    });
    await source.pipeTo(fileWritable(slow));
    assert.equal(maxInFlight, 1);
  });
});

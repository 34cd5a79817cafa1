import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import type { FileHandle } from "../../pathio/path_io.ts";
import { MAX_READ_AHEAD, TransferBudget } from "../../server/transfer_budget.ts";
import { pumpFileToStream, pumpStreamToFile } from "../../server/transfer_streams.ts";
import { AbortedError, FtpTimeoutError } from "../../streams/errors.ts";
import { Throttle } from "../../streams/throttle.ts";
import { concat, delay, pseudoRandomBytes } from "../_helpers.ts";

async function fileWith(io: MemoryPathIO, path: string, data: Uint8Array): Promise<void> {
  const h = await io.open(path, "write");
  await h.write(data);
  await h.close();
}

async function contents(io: MemoryPathIO, path: string): Promise<Uint8Array> {
  const h = await io.open(path, "read");
  const parts: Uint8Array[] = [];
  while (true) {
    const buffer = new Uint8Array(65536);
    const n = await h.read(buffer);
    if (n === null) break;
    parts.push(buffer.subarray(0, n));
  }
  await h.close();
  return concat(parts);
}

/** A sink that keeps what it gets, each write taking `delayMs`. */
function collector(delayMs = 0) {
  const chunks: Uint8Array[] = [];
  let closed = false;
  const sink = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (delayMs) await delay(delayMs);
      chunks.push(chunk);
    },
    close() {
      closed = true;
    },
  });
  return { sink, chunks, isClosed: () => closed };
}

/** Chunks of `data` as a default (`"default"`) or a byte (`"bytes"`) stream. */
function sourceOf(data: Uint8Array, piece: number, kind: "default" | "bytes") {
  let at = 0;
  if (kind === "default") {
    return new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= data.byteLength) return c.close();
        c.enqueue(data.slice(at, at + piece));
        at += piece;
      },
    });
  }
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      const request = c.byobRequest!;
      if (at >= data.byteLength) {
        c.close();
        request.respond(0);
        return;
      }
      const view = request.view as Uint8Array;
      const n = Math.min(piece, view.byteLength, data.byteLength - at);
      view.set(data.subarray(at, at + n));
      at += n;
      request.respond(n);
    },
  }) as ReadableStream<Uint8Array>;
}

/** Wraps a handle to record the size of every write and read. */
function recording(inner: FileHandle) {
  const writes: number[] = [];
  const reads: number[] = [];
  const handle: FileHandle = {
    read: async (b) => {
      const n = await inner.read(b);
      reads.push(n ?? -1);
      return n;
    },
    write: async (d) => {
      writes.push(d.byteLength);
      await delay(1); // a slow disk: data arriving meanwhile is joined
      await inner.write(d);
    },
    seek: (o) => inner.seek(o),
    close: () => inner.close(),
    abort: () => inner.abort(),
  };
  return { handle, writes, reads };
}

describe("transfer pumps", () => {
  test("download: every byte in order, reads of chunkSize, no read after the expected end", async () => {
    const io = new MemoryPathIO();
    const data = pseudoRandomBytes(300_000, 7);
    await fileWith(io, "/f", data);
    const { handle, reads } = recording(await io.open("/f", "read"));
    const out = collector(1);
    let seen = 0;
    const n = await pumpFileToStream(handle, out.sink, {
      chunkSize: () => 65536,
      expectedSize: data.byteLength,
      onChunk: (c) => seen += c.byteLength,
    });
    assert.equal(n, data.byteLength);
    assert.equal(seen, data.byteLength);
    assert.deepEqual(concat(out.chunks), data);
    assert.ok(out.isClosed());
    assert.deepEqual(reads, [65536, 65536, 65536, 65536, 37856]);
    assert.ok(out.chunks.every((c) => c.byteLength <= 65536));
  });

  test("download with a lender: a 4 MB file goes through a few reused buffers, all given back, every byte intact", async () => {
    const io = new MemoryPathIO();
    const data = pseudoRandomBytes(4_000_000, 5);
    await fileWith(io, "/f", data);
    const copies: Uint8Array[] = [];
    const buffers = new Set<ArrayBufferLike>();
    // Like a socket: takes a copy when the write is done, keeps no reference.
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        await delay(0);
        buffers.add(chunk.buffer);
        copies.push(chunk.slice());
      },
    });
    const budget = new TransferBudget(16 * 65536, 65536);
    const end = budget.begin();
    const loan = budget.loan();
    const n = await pumpFileToStream(await io.open("/f", "read"), sink, {
      chunkSize: () => 65536,
      readAhead: () => 2,
      expectedSize: data.byteLength,
      buffers: loan,
    });
    assert.equal(budget.lent, 0, "every buffer was given back");
    loan.close();
    end();
    assert.equal(n, data.byteLength);
    assert.deepEqual(concat(copies), data);
    assert.ok(copies.length > 60, `${copies.length} chunks`);
    // One being written, two read ahead, and the short last read.
    assert.ok(buffers.size <= 4, `${buffers.size} buffers for ${copies.length} chunks`);
  });

  test("download without a known size reads until the end; an empty file sends nothing", async () => {
    const io = new MemoryPathIO();
    const data = pseudoRandomBytes(100_000, 3);
    await fileWith(io, "/f", data);
    await fileWith(io, "/empty", new Uint8Array(0));
    const out = collector();
    assert.equal(
      await pumpFileToStream(await io.open("/f", "read"), out.sink, { chunkSize: () => 4096 }),
      data.byteLength,
    );
    assert.deepEqual(concat(out.chunks), data);
    const none = collector();
    const empty = await pumpFileToStream(await io.open("/empty", "read"), none.sink, {
      chunkSize: () => 4096,
      expectedSize: 0,
    });
    assert.equal(empty, 0);
    assert.ok(none.isClosed());
  });

  for (const kind of ["default", "bytes"] as const) {
    test(`upload from a ${kind} stream: every byte, writes joined while one runs, never above chunkSize`, async () => {
      const io = new MemoryPathIO();
      const data = pseudoRandomBytes(500_000, 11);
      const { handle, writes } = recording(await io.open("/up", "write"));
      let seen = 0;
      const n = await pumpStreamToFile(sourceOf(data, 8192, kind), handle, {
        chunkSize: () => 65536,
        onChunk: (c) => seen += c.byteLength,
      });
      assert.equal(n, data.byteLength);
      assert.equal(seen, data.byteLength);
      assert.deepEqual(await contents(io, "/up"), data);
      assert.ok(writes.some((w) => w > 8192), `some writes are joined: ${writes}`);
      assert.ok(writes.every((w) => w <= 65536 + 8192), `bounded writes: ${writes}`);
    });

    test(`upload from a ${kind} stream: 5 MB written from two reused buffers`, async () => {
      const io = new MemoryPathIO();
      const data = pseudoRandomBytes(5_000_000, 13);
      const inner = await io.open("/up", "write");
      const buffers = new Set<ArrayBufferLike>();
      let writes = 0;
      const handle: FileHandle = {
        read: (b) => inner.read(b),
        seek: (o) => inner.seek(o),
        close: () => inner.close(),
        abort: () => inner.abort(),
        async write(chunk) {
          await delay(0);
          buffers.add(chunk.buffer);
          writes++;
          await inner.write(chunk);
        },
      };
      const n = await pumpStreamToFile(sourceOf(data, 16384, kind), handle, {
        chunkSize: () => 65536,
      });
      assert.equal(n, data.byteLength);
      assert.deepEqual(await contents(io, "/up"), data);
      assert.ok(writes > 40, `${writes} writes`);
      // A BYOB read moves the buffer into a new ArrayBuffer object each time:
      // only copied-in chunks show the reuse by identity.
      if (kind === "default") {
        assert.ok(buffers.size <= 2, `${buffers.size} buffers for ${writes} writes`);
      }
    });

    test(`upload from a ${kind} stream: abort discards the file and rejects with the reason`, async () => {
      const io = new MemoryPathIO();
      await fileWith(io, "/keep", new Uint8Array([1, 2, 3]));
      const controller = new AbortController();
      const endless = new ReadableStream<Uint8Array>({
        async pull(c) {
          await delay(1);
          c.enqueue(new Uint8Array(1024));
        },
      });
      setTimeout(() => controller.abort(new AbortedError("stop")), 30);
      await assert.rejects(
        pumpStreamToFile(
          kind === "bytes" ? sourceOf(new Uint8Array(10_000_000), 1024, "bytes") : endless,
          await io.open("/keep", "write"),
          { chunkSize: () => 4096, signal: controller.signal, throttles: [new Throttle(100_000)] },
        ),
        AbortedError,
      );
      await delay(10);
      assert.deepEqual(await contents(io, "/keep"), new Uint8Array([1, 2, 3]));
    });
  }

  test("a stalled sink fails with FtpTimeoutError after the stall timeout, not before", async () => {
    const io = new MemoryPathIO();
    await fileWith(io, "/f", new Uint8Array(10_000));
    const stuck = new WritableStream<Uint8Array>({ write: () => new Promise(() => {}) });
    const started = performance.now();
    await assert.rejects(
      pumpFileToStream(await io.open("/f", "read"), stuck, {
        chunkSize: () => 1024,
        stallTimeoutMs: 80,
      }),
      FtpTimeoutError,
    );
    const took = performance.now() - started;
    assert.ok(took >= 75 && took < 5000, `took ${took} ms`);
  });

  test("a failing file write fails the upload with that error", async () => {
    const io = new MemoryPathIO();
    const inner = await io.open("/x", "write");
    const failing: FileHandle = {
      ...inner,
      read: (b) => inner.read(b),
      seek: (o) => inner.seek(o),
      close: () => inner.close(),
      abort: () => inner.abort(),
      write: () => Promise.reject(new Error("disk full (simulated)")),
    };
    for (const kind of ["default", "bytes"] as const) {
      await assert.rejects(
        pumpStreamToFile(sourceOf(new Uint8Array(50_000), 1000, kind), failing, {
          chunkSize: () => 4096,
        }),
        /disk full/,
      );
    }
  });

  test("download read-ahead: reads run ahead of a slow sink, one at a time, never more than readAhead", async () => {
    const io = new MemoryPathIO();
    const data = pseudoRandomBytes(40 * 4096 + 123, 11);
    await fileWith(io, "/f", data);
    const inner = await io.open("/f", "read");
    let running = 0;
    let overlapped = false;
    let readsDone = 0;
    let closes = 0;
    const handle: FileHandle = {
      read: async (b) => {
        if (running++ > 0) overlapped = true;
        await delay(0);
        try {
          return await inner.read(b);
        } finally {
          running--;
          readsDone++;
        }
      },
      write: (d) => inner.write(d),
      seek: (o) => inner.seek(o),
      close: () => {
        closes++;
        return inner.close();
      },
      abort: () => inner.abort(),
    };
    let sent = 0;
    let mostAhead = 0;
    const sink = new WritableStream<Uint8Array>({
      async write(chunk) {
        sent++;
        await delay(5);
        // Reads finished beyond the chunks handed to the sink so far.
        mostAhead = Math.max(mostAhead, readsDone - sent);
        parts.push(chunk);
      },
    });
    const parts: Uint8Array[] = [];
    const n = await pumpFileToStream(handle, sink, {
      chunkSize: () => 4096,
      readAhead: () => 3,
      expectedSize: data.byteLength,
    });
    assert.equal(n, data.byteLength);
    assert.deepEqual(concat(parts), data);
    assert.equal(overlapped, false, "two reads of one handle ran at once");
    assert.equal(mostAhead, 3, `reads ahead of the sink: ${mostAhead}`);
    await delay(5);
    assert.equal(closes, 1);
  });

  test("download read-ahead: a failing read fails the transfer; the handle closes once, after the reads", async () => {
    const io = new MemoryPathIO();
    await fileWith(io, "/f", new Uint8Array(100_000));
    const inner = await io.open("/f", "read");
    let reads = 0;
    let readingWhenClosed = false;
    let running = 0;
    let closes = 0;
    const handle: FileHandle = {
      read: async (b) => {
        running++;
        await delay(1);
        running--;
        if (++reads === 3) throw new Error("bad sector (simulated)");
        return await inner.read(b);
      },
      write: (d) => inner.write(d),
      seek: (o) => inner.seek(o),
      close: () => {
        closes++;
        if (running > 0) readingWhenClosed = true;
        return inner.close();
      },
      abort: () => inner.abort(),
    };
    const out = collector(3);
    await assert.rejects(
      pumpFileToStream(handle, out.sink, { chunkSize: () => 4096, readAhead: () => 3 }),
      /bad sector/,
    );
    await delay(20);
    assert.equal(closes, 1);
    assert.equal(readingWhenClosed, false);
    assert.equal(reads, 3, "no read after the failed one");
  });

  test("budget read-ahead: a lone download reads furthest ahead, many read one chunk ahead", () => {
    const budget = new TransferBudget(16 * 1024 * 1024, 1024 * 1024);
    assert.equal(budget.readAhead(), MAX_READ_AHEAD);
    const ends = Array.from({ length: 200 }, () => budget.begin());
    assert.equal(budget.readAhead(), 1);
    // Memory stays within the budget: the chunk being sent plus the reads ahead.
    assert.ok(200 * budget.chunkSize() * (1 + budget.readAhead()) <= budget.memory);
    for (const end of ends.splice(0, 196)) end();
    assert.equal(budget.active, 4);
    assert.equal(budget.readAhead(), MAX_READ_AHEAD);
    assert.ok(4 * budget.chunkSize() * (1 + budget.readAhead()) <= budget.memory);
    for (const end of ends) end();
  });

  test("budget: one transfer gets blockSize, many share the memory in powers of two, never below 16 KiB", () => {
    const budget = new TransferBudget(16 * 1024 * 1024, 1024 * 1024);
    assert.equal(budget.chunkSize(), 1024 * 1024);
    const ends = Array.from({ length: 20 }, () => budget.begin());
    assert.equal(budget.active, 20);
    assert.equal(budget.chunkSize(), 256 * 1024); // 16 MiB / 40, down to a power of two
    ends.push(...Array.from({ length: 1000 }, () => budget.begin()));
    assert.equal(budget.chunkSize(), 16 * 1024);
    for (const end of ends) {
      end();
      end(); // a second call changes nothing
    }
    assert.equal(budget.active, 0);
    assert.equal(budget.chunkSize(), 1024 * 1024);
  });

  test("budget: 200 transfers starting one after another hold at most the memory (+ 16 KiB each)", () => {
    const memory = 16 * 1024 * 1024;
    const budget = new TransferBudget(memory, 1024 * 1024);
    const held: { loan: ReturnType<TransferBudget["loan"]>; buffers: Uint8Array<ArrayBuffer>[] }[] =
      [];
    let most = 0;
    // Each newcomer takes read-ahead + 1 chunks before the earlier ones read again.
    for (let i = 0; i < 200; i++) {
      budget.begin();
      const loan = budget.loan();
      const buffers = [];
      const depth = budget.readAhead() + 1;
      for (let k = 0; k < depth; k++) buffers.push(loan.take(budget.chunkSize()));
      held.push({ loan, buffers });
      most = Math.max(most, budget.lent);
    }
    assert.ok(most <= memory + 200 * 2 * 16 * 1024, `${most} bytes lent at most`);
    // Without the count of lent bytes the first transfers' 1 MiB chunks alone would be 25+ MB.
    assert.ok(held[0].buffers[0].byteLength === 1024 * 1024);
    // Given back: kept for the next take of that size; a closed loan forgets the rest.
    const first = held[0].buffers.pop()!;
    held[0].loan.give(first);
    for (const { loan } of held) loan.close();
    assert.equal(budget.lent, 0);
  });

  test("budget: a loan reuses what was given back, and drops it when memory is short", () => {
    const budget = new TransferBudget(4 * 65536, 65536);
    budget.begin();
    const loan = budget.loan();
    const a = loan.take(65536);
    loan.give(a);
    assert.equal(loan.take(65536), a, "the buffer given back is lent again");
    loan.give(a);
    assert.equal(loan.take(50_000), a, "sizes round up to a power of two, so it fits other sizes");
    const others = [loan.take(65536), loan.take(65536), loan.take(65536)];
    assert.equal(budget.lent, 4 * 65536);
    const extra = loan.take(65536); // over the memory: lent, never kept
    loan.give(extra);
    assert.notEqual(loan.take(65536), extra, "a buffer over the memory is not kept");
    loan.close();
    assert.equal(budget.lent, 0);
    for (const b of others) assert.equal(b.byteLength, 65536);
  });
});

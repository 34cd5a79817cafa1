/**
 * The local side of `upload`/`download`: missing parent directories are
 * created, relative local paths start at `localDirectory` (the working
 * directory by default), a directory given to `download` is found after RETR
 * refuses it, and the write-behind and listing line splitter the transfers
 * use.
 */

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import { join as osJoin, relative as osRelative } from "node:path";
import { Client } from "../../client/mod.ts";
import { LineSplitter } from "../../client/_line_splitter.ts";
import { WriteBehind } from "../../client/_write_behind.ts";
import { localWorkingDirectory } from "../../pathio/fs_path_io.ts";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Permission } from "../../server/permission.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { LineTooLongError, ProtocolError } from "../../streams/errors.ts";
import { tempDir } from "../_helpers.ts";

const enc = new TextEncoder();

describe("client local files (ftpkit server in memory)", () => {
  let server: Server;
  let port: number;
  let local: { path: string; remove: () => Promise<void> };
  before(async () => {
    server = new Server({
      pathIO: new MemoryPathIO(),
      users: [new User({ login: "user", password: "pw", permissions: [new Permission("/")] })],
    });
    port = (await server.start("127.0.0.1", 0)).port;
    local = await tempDir("ftpkit-client-local-files-");
  });
  after(async () => {
    await server.close();
    await local.remove();
  });

  const connect = (options: ConstructorParameters<typeof Client>[0] = {}) =>
    Client.context("127.0.0.1", { port, user: "user", password: "pw", ...options });

  test("download with writeInto creates missing local parent directories", async () => {
    await using client = await connect();
    const up = await client.uploadStream("/deep.txt");
    await new Blob(["deep file"]).stream().pipeTo(up.writable);
    await up.finish();
    const target = osJoin(local.path, "a", "b", "c", "deep.txt");
    await client.download("/deep.txt", target, { writeInto: true });
    assert.equal(await readFile(target, "utf8"), "deep file");
    // Into a directory that does not exist yet, without writeInto.
    await client.download("/deep.txt", osJoin(local.path, "x", "y"));
    assert.equal(await readFile(osJoin(local.path, "x", "y", "deep.txt"), "utf8"), "deep file");
  });

  test("a missing remote file fails with the server's refusal and leaves nothing", async () => {
    await using client = await connect();
    const target = osJoin(local.path, "missing", "none.txt");
    await assert.rejects(
      client.download("/none.txt", target, { writeInto: true }),
      (err: Error) => err.name === "StatusCodeError",
    );
    await assert.rejects(readFile(target), { code: "ENOENT" });
  });

  test("download of a directory after RETR refuses it", async () => {
    await using client = await connect();
    await client.makeDirectory("/tree/sub", { parents: true });
    for (const [path, text] of [["/tree/one.txt", "1"], ["/tree/sub/two.txt", "22"]]) {
      const up = await client.uploadStream(path);
      await new Blob([text]).stream().pipeTo(up.writable);
      await up.finish();
    }
    await client.download("/tree", osJoin(local.path, "copy"));
    assert.equal(await readFile(osJoin(local.path, "copy", "tree", "one.txt"), "utf8"), "1");
    assert.equal(
      await readFile(osJoin(local.path, "copy", "tree", "sub", "two.txt"), "utf8"),
      "22",
    );
  });

  test("relative local paths start at localDirectory", async () => {
    await using client = await connect({ localDirectory: local.path });
    await mkdir(osJoin(local.path, "rel"), { recursive: true });
    await writeFile(osJoin(local.path, "rel", "in.txt"), "relative in");
    await client.upload("rel/in.txt", "/rel-in.txt", { writeInto: true });
    await client.download("/rel-in.txt", "rel/out.txt", { writeInto: true });
    assert.equal(await readFile(osJoin(local.path, "rel", "out.txt"), "utf8"), "relative in");
  });

  test("by default relative local paths start at the working directory", async () => {
    const cwd = await localWorkingDirectory();
    assert.equal(cwd, await realpath("."));
    // A path relative to the working directory that leads into the temporary directory.
    const relativeDir = osRelative(cwd, await realpath(local.path));
    await using client = await connect();
    await writeFile(osJoin(local.path, "cwd-in.txt"), "from the working directory");
    await client.upload(`${relativeDir}/cwd-in.txt`, "/cwd.txt", { writeInto: true });
    await client.download("/cwd.txt", `${relativeDir}/cwd-out.txt`, { writeInto: true });
    assert.equal(
      await readFile(osJoin(local.path, "cwd-out.txt"), "utf8"),
      "from the working directory",
    );
  });

  test("with a custom pathIO relative paths start at its root", async () => {
    const io = new MemoryPathIO();
    await using client = await connect({ pathIO: () => io });
    const handle = await io.open("/mem.txt", "write");
    await handle.write(enc.encode("in memory"));
    await handle.close();
    await client.upload("mem.txt", "/mem-remote.txt", { writeInto: true });
    await client.download("/mem-remote.txt", "copies/mem.txt", { writeInto: true });
    assert.equal(await io.isFile("/copies/mem.txt"), true);
  });

  test("files of several MiB survive the reused transfer buffers, both ways", {
    timeout: 30_000,
  }, async () => {
    // Local reads that never wait (memory) outrun the socket: a buffer reused
    // before its write resolved would be overwritten while queued.
    const io = new MemoryPathIO();
    await using client = await connect({ pathIO: () => io });
    // Bytes that differ from block to block, so a buffer reused too early shows.
    const data = new Uint8Array(5 * 1024 * 1024 + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 16)) & 0xff;
    const handle = await io.open("/big.bin", "write");
    await handle.write(data);
    await handle.close();
    await client.upload("/big.bin", "/big.bin", { writeInto: true, blockSize: 64 * 1024 });
    await client.download("/big.bin", "/big-copy.bin", { writeInto: true });
    const copy = await io.open("/big-copy.bin", "read");
    const back = new Uint8Array(data.byteLength + 1);
    let read = 0;
    for (let n = await copy.read(back); n !== null; n = await copy.read(back.subarray(read))) {
      read += n;
      if (read === back.byteLength) break;
    }
    await copy.close();
    assert.deepEqual(back.subarray(0, read), data);

    // writeTo: each chunk is the caller's only until its write resolves.
    const download = await client.downloadStream("/big.bin");
    const parts: Uint8Array[] = [];
    await download.writeTo(async (chunk) => {
      parts.push(chunk.slice());
      await new Promise((resolve) => setTimeout(resolve, 0)); // let the next read land meanwhile
    });
    // One way of reading per download.
    await assert.rejects(download.readable.getReader().read(), /read by writeTo/);
    await assert.rejects(download.writeTo(() => Promise.resolve()), /read already/);
    await download.finish();
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.byteLength;
    }
    assert.deepEqual(joined, data);

    // finish() after reading part of a locked readable reads the rest itself,
    // while the readable may still be reading ahead.
    const partly = await client.downloadStream("/big.bin");
    const reader = partly.readable.getReader();
    assert.ok(!(await reader.read()).done);
    assert.match((await partly.finish()).code.value, /^2/);
    assert.equal(await client.size("/big.bin"), data.byteLength); // the session is fine

    // A failing writer aborts the transfer (ABOR); its error is what writeTo throws.
    const refused = await client.downloadStream("/big.bin");
    const full = new Error("disk full");
    let calls = 0;
    await assert.rejects(
      refused.writeTo(() => {
        calls++;
        return Promise.reject(full);
      }),
      (err) => err === full,
    );
    assert.equal(calls, 1);
    assert.equal(await client.size("/big.bin"), data.byteLength);
  });
});

describe("WriteBehind", () => {
  test("writes every byte in order, joining small chunks", async () => {
    const writes: Uint8Array[] = [];
    let inFlight = 0;
    const behind = new WriteBehind(async (data) => {
      inFlight++;
      assert.equal(inFlight, 1, "one write at a time");
      writes.push(data.slice());
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
    }, { batchBytes: 8, maxPendingBytes: 16 });
    const sent: number[] = [];
    for (let i = 0; i < 40; i++) {
      const chunk = new Uint8Array([i, i]);
      sent.push(i, i);
      await behind.push(chunk);
    }
    await behind.finish();
    assert.deepEqual(writes.flatMap((w) => [...w]), sent);
    assert.ok(writes.length < 40, `joined into ${writes.length} writes`);
    assert.ok(writes.every((w) => w.byteLength <= 8));
  });

  test("a failed write is reported by the next push or by finish, and stops writing", async () => {
    let calls = 0;
    const behind = new WriteBehind(() => {
      calls++;
      return Promise.reject(new Error("disk full"));
    });
    await behind.push(new Uint8Array(4));
    await assert.rejects(behind.finish(), /disk full/);
    await assert.rejects(behind.push(new Uint8Array(4)), /disk full/);
    assert.equal(calls, 1);
  });

  test("push waits while too much is queued", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => release = r);
    const behind = new WriteBehind(() => gate, { maxPendingBytes: 10 });
    await behind.push(new Uint8Array(6)); // being written
    await behind.push(new Uint8Array(6)); // queued: 6 bytes
    let returned = false;
    const third = behind.push(new Uint8Array(6)).then(() => returned = true); // 12 queued
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(returned, false);
    release();
    await third;
    await behind.finish();
  });
});

describe("LineSplitter", () => {
  const limits = { maxLineBytes: 16, maxTotalBytes: 200 };

  test("lines across chunk borders, CRLF and LF, a last line without end", () => {
    const splitter = new LineSplitter(limits);
    const lines = [
      ...splitter.push(enc.encode("one\r\ntw")),
      ...splitter.push(enc.encode("o\nth")),
      ...splitter.push(enc.encode("ree\r")),
      ...splitter.push(enc.encode("\nfour")),
      ...splitter.end(),
    ];
    assert.deepEqual(lines, ["one", "two", "three", "four"]);
  });

  test("multi-byte characters split between chunks", () => {
    const splitter = new LineSplitter(limits);
    const bytes = enc.encode("grüße\r\n");
    const lines = [...splitter.push(bytes.subarray(0, 3)), ...splitter.push(bytes.subarray(3))];
    assert.deepEqual(lines, ["grüße"]);
  });

  test("an over-long line fails, complete or still open", () => {
    assert.throws(
      () => new LineSplitter(limits).push(enc.encode("x".repeat(40) + "\n")),
      LineTooLongError,
    );
    const open = new LineSplitter(limits);
    open.push(enc.encode("x".repeat(10)));
    assert.throws(() => open.push(enc.encode("x".repeat(10))), LineTooLongError);
  });

  test("too many bytes in all fail with ProtocolError", () => {
    const splitter = new LineSplitter(limits);
    assert.throws(() => {
      for (let i = 0; i < 30; i++) splitter.push(enc.encode("0123456789\n"));
    }, ProtocolError);
  });
});

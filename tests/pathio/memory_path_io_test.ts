import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryPathIO } from "../../pathio/mod.ts";
import { ChunkedBytes } from "../../pathio/chunked_bytes.ts";
import { delay, pseudoRandomBytes } from "../_helpers.ts";

const enc = new TextEncoder();

describe("MemoryPathIO", () => {
  test("ctime and mtime move on write, rename, mkdir and unlink", async () => {
    const io = new MemoryPathIO();
    await io.mkdir("/d");
    const handle = await io.open("/d/f", "write", { atomic: false });
    const created = await io.stat("/d/f");
    await delay(5);
    await handle.write(enc.encode("x"));
    await handle.close();
    const written = await io.stat("/d/f");
    assert.ok(written.mtime > created.mtime && written.ctime > created.ctime);
    await delay(5);
    await io.rename("/d/f", "/d/g");
    const renamed = await io.stat("/d/g");
    assert.ok(renamed.ctime > written.ctime, "rename moves ctime");
    assert.equal(renamed.mtime, written.mtime, "rename keeps mtime");
    const dir = await io.stat("/d");
    await delay(5);
    await io.unlink("/d/g");
    assert.ok((await io.stat("/d")).mtime > dir.mtime, "unlink moves the directory's mtime");
  });

  test("one instance is shared: readers see writes as they happen", async () => {
    const io = new MemoryPathIO();
    const writer = await io.open("/live", "write", { atomic: false });
    await writer.write(enc.encode("part one;"));
    const reader = await io.open("/live", "read");
    const buffer = new Uint8Array(100);
    assert.equal(await reader.read(buffer), 9);
    await writer.write(enc.encode("part two"));
    assert.equal(await reader.read(buffer), 8);
    assert.equal(await reader.read(buffer), null);
    await writer.close();
    await reader.close();
  });

  test("modes of new entries are configurable", async () => {
    const io = new MemoryPathIO({ fileMode: 0o600, dirMode: 0o700 });
    await io.mkdir("/d");
    assert.equal((await io.stat("/d")).mode, 0o700);
    const h = await io.open("/d/f", "write");
    await h.close();
    assert.equal((await io.stat("/d/f")).mode, 0o600);
    assert.equal((await io.stat("/d/f")).nlink, 1);
  });

  test("atomicWrites: false makes plain writes visible at once", async () => {
    const io = new MemoryPathIO({ atomicWrites: false });
    const h = await io.open("/f", "write");
    await h.write(enc.encode("now"));
    assert.equal((await io.stat("/f")).size, 3);
    await h.abort();
    assert.equal((await io.stat("/f")).size, 3, "nothing to discard without atomic writes");
  });
});

describe("ChunkedBytes", () => {
  test("matches a plain array under random writes, reads and truncations", () => {
    const bytes = new ChunkedBytes();
    let model = new Uint8Array(0);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const LIMIT = 1_200_000; // spans several 256 KiB blocks
    for (let step = 0; step < 400; step++) {
      const op = rand(10);
      if (op < 6) {
        const at = rand(Math.min(LIMIT, model.length + 300_000));
        const data = pseudoRandomBytes(1 + rand(300_000), step + 1).subarray(
          0,
          Math.min(LIMIT - at, 1 + rand(300_000)),
        );
        bytes.write(at, data);
        if (at + data.length > model.length) {
          const grown = new Uint8Array(at + data.length);
          grown.set(model);
          model = grown;
        }
        model.set(data, at);
      } else if (op < 8) {
        const size = rand(LIMIT);
        bytes.truncate(size);
        const next = new Uint8Array(size);
        next.set(model.subarray(0, size));
        model = next;
      } else {
        const at = rand(model.length + 10);
        const out = new Uint8Array(rand(400_000));
        const n = bytes.read(at, out);
        const expected = model.subarray(Math.min(at, model.length), at + out.length);
        assert.equal(n, expected.length);
        assert.deepEqual(out.subarray(0, n), expected);
      }
      assert.equal(bytes.size, model.length);
    }
    const all = new Uint8Array(bytes.size);
    bytes.read(0, all);
    assert.deepEqual(all, model);
  });

  test("a tiny file grows by appends without losing its first bytes", () => {
    const bytes = new ChunkedBytes();
    const first = new Uint8Array([1, 2, 3]);
    bytes.write(0, first);
    const chunk = new Uint8Array(100_000).fill(7);
    for (let i = 0; i < 30; i++) bytes.write(bytes.size, chunk);
    assert.equal(bytes.size, 3 + 3_000_000);
    const out = new Uint8Array(4);
    bytes.read(0, out);
    assert.deepEqual(out, new Uint8Array([1, 2, 3, 7]));
  });
});

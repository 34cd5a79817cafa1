/**
 * The `PathIO` conformance suite: the same cases for every backend. Run it
 * against your own storage with
 *
 * ```ts ignore
 * import { pathIOConformance } from "./tests/pathio/_conformance.ts";
 * pathIOConformance("MyPathIO", async ({ timeoutMs }) => ({ io: new MyPathIO({ timeoutMs }) }));
 * ```
 *
 * inside a `node:test` file. Paths are absolute in the backend's namespace;
 * every test gets a fresh, empty backend from the factory.
 *
 * @module
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PathIOError, type PathIOErrorKind } from "../../streams/errors.ts";
import { fileReadable, fileWritable } from "../../pathio/file_streams.ts";
import type { PathIO } from "../../pathio/path_io.ts";
import { delay, pseudoRandomBytes, readAll, sha256 } from "../_helpers.ts";

/** What a factory gets: backend options the suite needs to vary. */
export interface ConformanceOptions {
  /** Per-operation time limit to configure (absent: none). */
  timeoutMs?: number;
}

/** A fresh, empty backend and how to dispose of it. */
export interface ConformanceTarget {
  /** The backend under test. */
  io: PathIO;
  /** Called after each test (remove temporary directories...). */
  cleanup?: () => Promise<void>;
}

/** Makes a fresh, empty backend for one test. */
export type ConformanceFactory = (options: ConformanceOptions) => Promise<ConformanceTarget>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Assert that `promise` rejects with a `PathIOError` of `kind`. */
export async function rejectsWithKind(
  promise: Promise<unknown>,
  kind: PathIOErrorKind,
  message?: string,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof PathIOError, `expected PathIOError, got ${err}`);
    assert.equal(err.kind, kind, `${message ?? ""} ${err.message}`);
    return true;
  });
}

async function writeFile(io: PathIO, path: string, data: string | Uint8Array): Promise<void> {
  const handle = await io.open(path, "write");
  await handle.write(typeof data === "string" ? enc.encode(data) : data);
  await handle.close();
}

async function readText(io: PathIO, path: string, offset?: number): Promise<string> {
  return dec.decode(await readAll(fileReadable(await io.open(path, "read", { offset }))));
}

async function names(io: PathIO, path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const name of io.list(path)) out.push(name);
  return out.sort();
}

/**
 * Register the conformance cases for one backend under `describe(label)`.
 *
 * @param label Shown in test names.
 * @param factory Makes a fresh, empty backend for each test.
 */
export function pathIOConformance(label: string, factory: ConformanceFactory): void {
  const withIO = (name: string, body: (io: PathIO) => Promise<void>, options = {}) =>
    test(name, async () => {
      const target = await factory(options);
      try {
        await body(target.io);
      } finally {
        await target.cleanup?.();
      }
    });

  describe(`PathIO conformance: ${label}`, () => {
    describe("directories", () => {
      withIO("mkdir, exists, isDir, isFile", async (io) => {
        assert.equal(await io.isDir("/"), true);
        assert.equal(await io.exists("/d"), false);
        await io.mkdir("/d");
        assert.equal(await io.exists("/d"), true);
        assert.equal(await io.isDir("/d"), true);
        assert.equal(await io.isFile("/d"), false);
        await writeFile(io, "/d/f", "x");
        assert.equal(await io.isFile("/d/f"), true);
        assert.equal(await io.isDir("/d/f"), false);
        assert.equal(await io.exists("/d/f/below"), false);
        assert.equal(await io.isDir("/nope/deeper"), false);
      });

      withIO("mkdir failures: exists, missing parent, parent is a file", async (io) => {
        await io.mkdir("/d");
        await rejectsWithKind(io.mkdir("/d"), "exists");
        await rejectsWithKind(io.mkdir("/"), "exists");
        await rejectsWithKind(io.mkdir("/a/b"), "not-found");
        await writeFile(io, "/f", "x");
        await rejectsWithKind(io.mkdir("/f"), "exists");
        await rejectsWithKind(io.mkdir("/f", { existOk: true }), "exists", "existOk over a file");
        await rejectsWithKind(io.mkdir("/f/sub"), "not-a-directory");
        await rejectsWithKind(io.mkdir("/f/sub", { parents: true }), "exists");
      });

      withIO("mkdir parents and existOk", async (io) => {
        await io.mkdir("/a/b/c", { parents: true });
        assert.equal(await io.isDir("/a/b/c"), true);
        await rejectsWithKind(io.mkdir("/a/b/c", { parents: true }), "exists");
        await io.mkdir("/a/b/c", { parents: true, existOk: true });
        await io.mkdir("/a/b", { existOk: true });
        await io.mkdir("/", { existOk: true });
        await io.mkdir("/a/b/x/y", { parents: true, existOk: true });
        assert.deepEqual(await names(io, "/a/b"), ["c", "x"]);
      });

      withIO("rmdir: empty, non-empty, file, missing, root", async (io) => {
        await io.mkdir("/d/e", { parents: true });
        await rejectsWithKind(io.rmdir("/d"), "not-empty");
        await io.rmdir("/d/e");
        await io.rmdir("/d");
        assert.equal(await io.exists("/d"), false);
        await rejectsWithKind(io.rmdir("/d"), "not-found");
        await writeFile(io, "/f", "x");
        await rejectsWithKind(io.rmdir("/f"), "not-a-directory");
        await rejectsWithKind(io.rmdir("/"), "permission");
        assert.equal(await io.isFile("/f"), true);
      });

      withIO("list: empty, non-empty, file, missing, early exit", async (io) => {
        assert.deepEqual(await names(io, "/"), []);
        await io.mkdir("/d");
        assert.deepEqual(await names(io, "/d"), []);
        for (const n of ["b.txt", "a", "c d", "ünï"]) await writeFile(io, `/d/${n}`, n);
        await io.mkdir("/d/sub");
        assert.deepEqual(await names(io, "/d"), ["a", "b.txt", "c d", "sub", "ünï"].sort());
        await rejectsWithKind(names(io, "/d/a"), "not-a-directory");
        await rejectsWithKind(names(io, "/missing"), "not-found");
        let seen = 0;
        for await (const _ of io.list("/d")) {
          seen++;
          break;
        }
        assert.equal(seen, 1);
        // The listing released after the early exit: the directory is still usable.
        await io.unlink("/d/a");
        assert.equal((await names(io, "/d")).length, 4);
      });
    });

    describe("files", () => {
      withIO("write then read back, stat size", async (io) => {
        await writeFile(io, "/a.txt", "hello world");
        assert.equal(await readText(io, "/a.txt"), "hello world");
        const stat = await io.stat("/a.txt");
        assert.equal(stat.type, "file");
        assert.equal(stat.size, 11);
        await writeFile(io, "/a.txt", "bye");
        assert.equal(await readText(io, "/a.txt"), "bye", "write truncates");
        await writeFile(io, "/empty", new Uint8Array(0));
        assert.equal((await io.stat("/empty")).size, 0);
        assert.equal(await readText(io, "/empty"), "");
      });

      withIO("3 MiB of pseudo-random bytes survive the round trip", async (io) => {
        const data = pseudoRandomBytes(3 * 1024 * 1024 + 17, 7);
        const source = new ReadableStream<Uint8Array>({
          start(c) {
            for (let at = 0; at < data.byteLength; at += 100_000) {
              c.enqueue(data.slice(at, at + 100_000));
            }
            c.close();
          },
        });
        await source.pipeTo(fileWritable(await io.open("/big", "write")));
        assert.equal((await io.stat("/big")).size, data.byteLength);
        const back = await readAll(fileReadable(await io.open("/big", "read"), {
          chunkSize: 50_000,
        }));
        assert.equal(await sha256(back), await sha256(data));
      });

      withIO("open failures: missing, directory, missing parent, parent is a file", async (io) => {
        await io.mkdir("/d");
        await writeFile(io, "/f", "x");
        await rejectsWithKind(io.open("/missing", "read"), "not-found");
        await rejectsWithKind(io.open("/missing", "readwrite"), "not-found");
        await rejectsWithKind(io.open("/d", "read"), "is-a-directory");
        await rejectsWithKind(io.open("/d", "write"), "is-a-directory");
        await rejectsWithKind(io.open("/d", "write", { atomic: false }), "is-a-directory");
        await rejectsWithKind(io.open("/d", "append"), "is-a-directory");
        await rejectsWithKind(io.open("/d", "readwrite"), "is-a-directory");
        await rejectsWithKind(io.open("/nope/f", "write"), "not-found");
        await rejectsWithKind(io.open("/f/x", "write"), "not-a-directory");
        await rejectsWithKind(io.open("/f", "read", { offset: -1 }), "invalid");
        await rejectsWithKind(
          io.open("/f", "bogus" as unknown as "read"),
          "invalid",
        );
      });

      withIO("append creates, then appends", async (io) => {
        for (const part of ["one,", "two,", "three"]) {
          const handle = await io.open("/log", "append");
          await handle.write(enc.encode(part));
          await handle.close();
        }
        assert.equal(await readText(io, "/log"), "one,two,three");
        const handle = await io.open("/log", "append");
        await handle.seek(0);
        await handle.write(enc.encode("!"));
        await handle.close();
        assert.equal(await readText(io, "/log"), "one,two,three!", "append ignores seek");
      });

      withIO("write at an offset keeps the bytes before it (REST + STOR)", async (io) => {
        await writeFile(io, "/f", "0123456789");
        const handle = await io.open("/f", "write", { offset: 4 });
        await handle.write(enc.encode("ab"));
        await handle.close();
        assert.equal(await readText(io, "/f"), "0123ab");
        const atEnd = await io.open("/f", "write", { offset: 6 });
        await atEnd.write(enc.encode("XY"));
        await atEnd.close();
        assert.equal(await readText(io, "/f"), "0123abXY");
        await rejectsWithKind(io.open("/f", "write", { offset: 9 }), "invalid");
        await rejectsWithKind(io.open("/new", "write", { offset: 1 }), "invalid");
      });

      withIO("read at an offset (REST + RETR)", async (io) => {
        await writeFile(io, "/f", "0123456789");
        assert.equal(await readText(io, "/f", 3), "3456789");
        assert.equal(await readText(io, "/f", 10), "");
        assert.equal(await readText(io, "/f", 99), "");
        const handle = await io.open("/f", "read");
        const buffer = new Uint8Array(4);
        assert.equal(await handle.read(buffer), 4);
        await handle.seek(8);
        assert.equal(await handle.read(buffer), 2);
        assert.equal(dec.decode(buffer.subarray(0, 2)), "89");
        assert.equal(await handle.read(buffer), null);
        await handle.close();
      });

      withIO("readwrite at an offset overwrites in place", async (io) => {
        await writeFile(io, "/f", "0123456789");
        const handle = await io.open("/f", "readwrite", { offset: 2 });
        await handle.write(enc.encode("AB"));
        const buffer = new Uint8Array(3);
        assert.equal(await handle.read(buffer), 3);
        assert.equal(dec.decode(buffer), "456");
        await handle.seek(9);
        await handle.write(enc.encode("Z!"));
        await handle.close();
        assert.equal(await readText(io, "/f"), "01AB45678Z!");
      });

      withIO("handles refuse the wrong direction and use after close", async (io) => {
        await writeFile(io, "/f", "abc");
        const reader = await io.open("/f", "read");
        await rejectsWithKind(reader.write(enc.encode("x")), "invalid");
        await reader.close();
        await rejectsWithKind(reader.read(new Uint8Array(1)), "invalid");
        await reader.close(); // a second close is harmless
        const writer = await io.open("/g", "write", { atomic: false });
        await rejectsWithKind(writer.read(new Uint8Array(1)), "invalid");
        await writer.abort();
        await rejectsWithKind(writer.write(enc.encode("x")), "invalid");
        assert.equal(await readText(io, "/f"), "abc");
      });

      withIO("atomic write: target untouched until close, kept on abort", async (io) => {
        await writeFile(io, "/f", "old");
        const handle = await io.open("/f", "write", { atomic: true });
        await handle.write(enc.encode("new content"));
        assert.equal(await readText(io, "/f"), "old");
        assert.deepEqual(await names(io, "/"), ["f"], "no temporary name is listed");
        await handle.close();
        assert.equal(await readText(io, "/f"), "new content");

        const aborted = await io.open("/f", "write", { atomic: true });
        await aborted.write(enc.encode("partial"));
        await aborted.abort();
        assert.equal(await readText(io, "/f"), "new content");
        assert.deepEqual(await names(io, "/"), ["f"]);

        const fresh = await io.open("/g", "write", { atomic: true });
        await fresh.write(enc.encode("g"));
        assert.equal(await io.exists("/g"), false);
        await fresh.abort();
        assert.equal(await io.exists("/g"), false);
        assert.deepEqual(await names(io, "/"), ["f"]);
      });

      withIO("non-atomic write is visible while it runs", async (io) => {
        const handle = await io.open("/f", "write", { atomic: false });
        await handle.write(enc.encode("abc"));
        assert.equal(await readText(io, "/f"), "abc");
        await handle.close();
      });

      withIO("unlink: file, missing, directory", async (io) => {
        await writeFile(io, "/f", "x");
        await io.unlink("/f");
        assert.equal(await io.exists("/f"), false);
        await rejectsWithKind(io.unlink("/f"), "not-found");
        await io.mkdir("/d");
        await rejectsWithKind(io.unlink("/d"), "is-a-directory");
        await rejectsWithKind(io.unlink("/"), "is-a-directory");
        assert.equal(await io.isDir("/d"), true);
      });
    });

    describe("rename", () => {
      withIO("file to new name, over an existing file", async (io) => {
        await writeFile(io, "/a", "A");
        await writeFile(io, "/b", "B");
        await io.rename("/a", "/c");
        assert.equal(await io.exists("/a"), false);
        assert.equal(await readText(io, "/c"), "A");
        await io.rename("/c", "/b");
        assert.equal(await readText(io, "/b"), "A");
        assert.deepEqual(await names(io, "/"), ["b"]);
        await io.rename("/b", "/b");
        assert.equal(await readText(io, "/b"), "A");
      });

      withIO("directories with content; into another directory", async (io) => {
        await io.mkdir("/d/sub", { parents: true });
        await writeFile(io, "/d/sub/f", "deep");
        await io.mkdir("/other");
        await io.rename("/d", "/other/moved");
        assert.equal(await io.exists("/d"), false);
        assert.equal(await readText(io, "/other/moved/sub/f"), "deep");
        await io.mkdir("/empty");
        await io.rename("/other/moved", "/empty");
        assert.equal(await readText(io, "/empty/sub/f"), "deep", "dir replaces an empty dir");
      });

      withIO("failures: kinds of mix-ups, missing ends, into itself, root", async (io) => {
        await writeFile(io, "/f", "x");
        await io.mkdir("/d/full", { parents: true });
        await writeFile(io, "/d/full/x", "x");
        await io.mkdir("/e");
        await rejectsWithKind(io.rename("/f", "/d"), "is-a-directory");
        await rejectsWithKind(io.rename("/e", "/f"), "not-a-directory");
        await rejectsWithKind(io.rename("/e", "/d"), "not-empty");
        await rejectsWithKind(io.rename("/missing", "/x"), "not-found");
        await rejectsWithKind(io.rename("/f", "/missing/x"), "not-found");
        await rejectsWithKind(io.rename("/d", "/d/full/inner"), "invalid");
        await rejectsWithKind(io.rename("/", "/x"), "permission");
        await rejectsWithKind(io.rename("/e", "/"), "permission");
        assert.equal(await readText(io, "/f"), "x");
        assert.equal(await readText(io, "/d/full/x"), "x");
      });
    });

    describe("stat", () => {
      withIO("fields of files and directories", async (io) => {
        const before = Date.now();
        await io.mkdir("/d");
        await io.mkdir("/d/s1");
        await io.mkdir("/d/s2");
        await writeFile(io, "/d/f", "12345");
        const file = await io.stat("/d/f");
        assert.equal(file.type, "file");
        assert.equal(file.size, 5);
        assert.equal(file.nlink, 1);
        assert.ok(file.mode > 0 && file.mode <= 0o7777, `mode ${file.mode.toString(8)}`);
        assert.ok(file.mode & 0o400, "owner can read");
        assert.ok(Math.abs(file.mtime - before) < 60_000, "mtime is about now");
        assert.ok(Math.abs(file.ctime - before) < 60_000, "ctime is about now");
        const dir = await io.stat("/d");
        assert.equal(dir.type, "dir");
        assert.equal(dir.nlink, 4, "2 + two subdirectories");
        assert.ok(dir.mode & 0o100, "directory is searchable");
        assert.equal((await io.stat("/")).type, "dir");
      });

      withIO("missing and through-a-file paths", async (io) => {
        await writeFile(io, "/f", "x");
        await rejectsWithKind(io.stat("/missing"), "not-found");
        await rejectsWithKind(io.stat("/missing/deeper"), "not-found");
        await rejectsWithKind(io.stat("/f/deeper"), "not-a-directory");
      });

      withIO("times move on write, rename and directory changes", async (io) => {
        await io.mkdir("/d");
        await writeFile(io, "/d/f", "x");
        const first = await io.stat("/d/f");
        const dirFirst = await io.stat("/d");
        await delay(30);
        const handle = await io.open("/d/f", "append");
        await handle.write(enc.encode("more"));
        await handle.close();
        const written = await io.stat("/d/f");
        assert.ok(written.mtime > first.mtime, "write moves mtime");
        // Deno reports ctime in whole seconds (also through Deno.stat): only ">=" holds everywhere.
        assert.ok(written.ctime >= first.ctime, "write keeps ctime current");
        assert.equal(written.size, 5);
        await delay(30);
        await io.rename("/d/f", "/d/g");
        const renamed = await io.stat("/d/g");
        assert.ok(renamed.ctime >= written.ctime, "rename keeps ctime current");
        const dirAfter = await io.stat("/d");
        assert.ok(dirAfter.mtime > dirFirst.mtime, "rename moves the directory's mtime");
        await delay(30);
        await io.mkdir("/d/sub");
        assert.ok((await io.stat("/d")).mtime > dirAfter.mtime, "mkdir moves the parent's mtime");
      });
    });

    describe("paths", () => {
      withIO("relative paths and NUL bytes are refused; paths are normalized", async (io) => {
        await rejectsWithKind(io.stat("relative"), "invalid");
        await rejectsWithKind(io.mkdir(""), "invalid");
        await rejectsWithKind(io.open("/a\0b", "write"), "invalid");
        await io.mkdir("/d");
        await writeFile(io, "//d/./x/../f/", "x");
        assert.equal(await readText(io, "/d/f"), "x");
        assert.equal(await io.isDir("/d/.."), true);
        assert.equal(await io.isDir("/../../d"), true);
      });
    });

    describe("abort and timeout", () => {
      withIO("an aborted signal fails every operation with kind aborted", async (io) => {
        await io.mkdir("/d");
        await writeFile(io, "/d/f", "x");
        const signal = AbortSignal.abort();
        const o = { signal };
        await rejectsWithKind(io.exists("/d", o), "aborted");
        await rejectsWithKind(io.isFile("/d/f", o), "aborted");
        await rejectsWithKind(io.isDir("/d", o), "aborted");
        await rejectsWithKind(io.stat("/d", o), "aborted");
        await rejectsWithKind(io.mkdir("/e", o), "aborted");
        await rejectsWithKind(io.rmdir("/d", o), "aborted");
        await rejectsWithKind(io.unlink("/d/f", o), "aborted");
        await rejectsWithKind(names2(io.list("/d", o)), "aborted");
        await rejectsWithKind(io.rename("/d/f", "/d/g", o), "aborted");
        await rejectsWithKind(io.open("/d/f", "read", o), "aborted");
        assert.equal(await readText(io, "/d/f"), "x", "nothing changed");
        assert.equal(await io.exists("/e"), false);
      });

      withIO("aborting a download ends the stream and closes the file", async (io) => {
        await writeFile(io, "/f", pseudoRandomBytes(1024 * 1024));
        const controller = new AbortController();
        const reader = fileReadable(await io.open("/f", "read"), {
          chunkSize: 4096,
          signal: controller.signal,
        }).getReader();
        assert.ok((await reader.read()).value);
        controller.abort();
        await rejectsWithKind(reader.read(), "aborted");
        await io.unlink("/f");
      });

      withIO("a signal on open covers the handle's operations", async (io) => {
        await writeFile(io, "/f", "old");
        const controller = new AbortController();
        const handle = await io.open("/f", "write", { signal: controller.signal });
        await handle.write(enc.encode("partial"));
        controller.abort();
        await rejectsWithKind(handle.write(enc.encode("more")), "aborted");
        await rejectsWithKind(handle.close(), "aborted");
        assert.equal(await readText(io, "/f"), "old", "the aborted upload was discarded");
      });

      withIO("aborting an upload discards it", async (io) => {
        await writeFile(io, "/f", "old");
        const controller = new AbortController();
        const writer = fileWritable(await io.open("/f", "write"), { signal: controller.signal })
          .getWriter();
        await writer.write(enc.encode("new but unfinished"));
        controller.abort();
        await rejectsWithKind(writer.write(enc.encode("x")), "aborted");
        await delay(10);
        assert.equal(await readText(io, "/f"), "old");
        assert.deepEqual(await names(io, "/"), ["f"]);

        const second = fileWritable(await io.open("/f", "write")).getWriter();
        await second.write(enc.encode("also unfinished"));
        await second.abort(new Error("client went away"));
        assert.equal(await readText(io, "/f"), "old");
        assert.deepEqual(await names(io, "/"), ["f"]);
      });

      withIO("operations finish well within a configured time limit", async (io) => {
        await io.mkdir("/a/b", { parents: true });
        await writeFile(io, "/a/b/f", "x");
        assert.equal(await readText(io, "/a/b/f"), "x");
        assert.deepEqual(await names(io, "/a"), ["b"]);
        await io.rename("/a/b/f", "/a/g");
        await io.unlink("/a/g");
        await io.rmdir("/a/b");
      }, { timeoutMs: 10_000 });
    });
  });
}

async function names2(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const name of iterable) out.push(name);
  return out;
}

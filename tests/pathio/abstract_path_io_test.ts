import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AbortedError,
  FtpTimeoutError,
  PathIOError,
  type PathIOErrorKind,
} from "../../streams/errors.ts";
import {
  AbstractPathIO,
  type FileHandle,
  fileReadable,
  type PathStat,
  toPathIOError,
} from "../../pathio/mod.ts";
import { rejectsWithKind } from "./_conformance.ts";

/**
 * A backend whose primitives wait until released: every operation can be
 * made slower than any time limit. Records the signals it was given.
 */
class StallingPathIO extends AbstractPathIO {
  stalled = true;
  readonly signals: (AbortSignal | undefined)[] = [];
  lateHandlesAborted = 0;
  #waiters: (() => void)[] = [];

  release(): void {
    this.stalled = false;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async wait(signal?: AbortSignal): Promise<void> {
    this.signals.push(signal);
    if (this.stalled) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  handle(): FileHandle {
    const wait = () => this.wait();
    return {
      read: async () => (await wait(), null),
      write: async () => await wait(),
      seek: async () => await wait(),
      close: async () => await wait(),
      abort: async () => {
        this.lateHandlesAborted++;
        await Promise.resolve();
      },
    };
  }

  protected async doStat(_path: string, signal?: AbortSignal): Promise<PathStat> {
    await this.wait(signal);
    return { type: "dir", size: 0, mtime: 0, ctime: 0, nlink: 2, mode: 0o755 };
  }
  protected async doMkdir(_path: string, signal?: AbortSignal) {
    await this.wait(signal);
  }
  protected async doRmdir(_path: string, signal?: AbortSignal) {
    await this.wait(signal);
  }
  protected async doUnlink(_path: string, signal?: AbortSignal) {
    await this.wait(signal);
  }
  protected async *doList(_path: string, signal?: AbortSignal): AsyncIterable<string> {
    await this.wait(signal);
    yield "a";
    await this.wait(signal);
    yield "b";
  }
  protected async doRename(_from: string, _to: string, signal?: AbortSignal) {
    await this.wait(signal);
  }
  protected async doOpen(_path: string, _mode: unknown, _o: unknown, signal?: AbortSignal) {
    await this.wait(signal);
    return this.handle();
  }
}

async function listAll(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const name of iterable) out.push(name);
  return out;
}

describe("AbstractPathIO time limits", () => {
  const operations: [string, (io: StallingPathIO) => Promise<unknown>][] = [
    ["exists", (io) => io.exists("/a")],
    ["isFile", (io) => io.isFile("/a")],
    ["isDir", (io) => io.isDir("/a")],
    ["stat", (io) => io.stat("/a")],
    ["mkdir", (io) => io.mkdir("/a")],
    ["mkdir parents", (io) => io.mkdir("/a/b/c", { parents: true })],
    ["rmdir", (io) => io.rmdir("/a")],
    ["unlink", (io) => io.unlink("/a")],
    ["rename", (io) => io.rename("/a", "/b")],
    ["list", (io) => listAll(io.list("/a"))],
    ["open", (io) => io.open("/a", "read")],
  ];
  for (const [name, run] of operations) {
    test(`${name} fails with kind timeout`, async () => {
      const io = new StallingPathIO({ timeoutMs: 30 });
      const started = performance.now();
      await assert.rejects(run(io), (err: unknown) => {
        assert.ok(err instanceof PathIOError);
        assert.equal(err.kind, "timeout");
        assert.ok(err.cause instanceof FtpTimeoutError);
        return true;
      });
      assert.ok(performance.now() - started < 5_000);
      assert.ok(io.signals.some((s) => s?.aborted), "the primitive's signal fired");
      io.release();
    });
  }

  test("each step of a listing has its own limit", async () => {
    const io = new StallingPathIO({ timeoutMs: 40 });
    io.stalled = false;
    const seen: string[] = [];
    const iterator = io.list("/d")[Symbol.asyncIterator]();
    seen.push((await iterator.next()).value as string);
    io.stalled = true;
    await rejectsWithKind(iterator.next(), "timeout");
    assert.deepEqual(seen, ["a"]);
    io.release();
  });

  test("handle operations have the limit; a late open is discarded", async () => {
    const io = new StallingPathIO({ timeoutMs: 30 });
    await rejectsWithKind(io.open("/f", "read"), "timeout");
    io.release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(io.lateHandlesAborted, 1, "the handle that arrived too late was aborted");

    const handle = await io.open("/f", "write");
    io.stalled = true;
    await rejectsWithKind(handle.write(new Uint8Array(1)), "timeout");
    await rejectsWithKind(handle.read(new Uint8Array(1)), "timeout");
    await rejectsWithKind(handle.seek(3), "timeout");
    await rejectsWithKind(handle.close(), "timeout");
    io.release();
  });

  test("a stalled download stream fails with kind timeout", async () => {
    const io = new StallingPathIO({ timeoutMs: 30 });
    io.stalled = false;
    const handle = await io.open("/f", "read");
    io.stalled = true;
    await rejectsWithKind(fileReadable(handle).getReader().read(), "timeout");
    io.release();
  });

  test("no limit and no signal: operations wait as long as they take", async () => {
    const io = new StallingPathIO();
    const pending = io.stat("/a");
    await new Promise((resolve) => setTimeout(resolve, 60));
    io.release();
    assert.equal((await pending).type, "dir");
  });

  test("aborting while an operation runs fails it with kind aborted", async () => {
    const io = new StallingPathIO();
    const controller = new AbortController();
    const pending = io.stat("/a", { signal: controller.signal });
    controller.abort(new Error("client left"));
    await assert.rejects(pending, (err: unknown) => {
      assert.ok(err instanceof PathIOError && err.kind === "aborted");
      assert.ok(err.cause instanceof AbortedError);
      return true;
    });
    io.release();
  });

  test("a negative limit is refused", () => {
    assert.throws(() => new StallingPathIO({ timeoutMs: -1 }), RangeError);
  });
});

describe("toPathIOError", () => {
  test("maps runtime error codes and names to kinds, keeping the cause", () => {
    const cases: [unknown, PathIOErrorKind][] = [
      [Object.assign(new Error("x"), { code: "ENOENT" }), "not-found"],
      [Object.assign(new Error("x"), { code: "EEXIST" }), "exists"],
      [Object.assign(new Error("x"), { code: "ENOTDIR" }), "not-a-directory"],
      [Object.assign(new Error("x"), { code: "EISDIR" }), "is-a-directory"],
      [Object.assign(new Error("x"), { code: "ENOTEMPTY" }), "not-empty"],
      [Object.assign(new Error("x"), { code: "EACCES" }), "permission"],
      [Object.assign(new Error("x"), { code: "ELOOP" }), "permission"],
      [Object.assign(new Error("x"), { code: "ENOSPC" }), "no-space"],
      [Object.assign(new Error("x"), { code: "ENAMETOOLONG" }), "invalid"],
      [Object.assign(new Error("x"), { name: "NotFound" }), "not-found"],
      [Object.assign(new Error("x"), { name: "AlreadyExists" }), "exists"],
      [new FtpTimeoutError("stat", 5), "timeout"],
      [new AbortedError("stop"), "aborted"],
      [new Error("plain"), "other"],
      ["a string", "other"],
      [undefined, "other"],
    ];
    for (const [input, kind] of cases) {
      const err = toPathIOError(input, "stat", "/p");
      assert.equal(err.kind, kind, String(input));
      assert.equal(err.cause, input);
      assert.equal(err.path, "/p");
    }
    const original = new PathIOError("kept", { kind: "exists" });
    assert.equal(toPathIOError(original, "x"), original);
  });

  test("a backend throwing plain errors reaches the caller as PathIOError", async () => {
    class Failing extends StallingPathIO {
      protected override doStat(): Promise<PathStat> {
        throw Object.assign(new Error("disk says no"), { code: "EACCES" });
      }
    }
    const io = new Failing();
    await assert.rejects(io.stat("/x"), (err: unknown) => {
      assert.ok(err instanceof PathIOError && err.kind === "permission");
      assert.equal((err.cause as Error).message, "disk says no");
      return true;
    });
  });
});

/**
 * {@linkcode AbstractPathIO}: the base class every ftpkit backend extends, so
 * that all of them check paths, time out, honour `AbortSignal`s and report
 * {@linkcode PathIOError}s the same way. A custom backend (a database, an
 * object store) extends it too and implements seven small `do*` methods.
 *
 * @module
 */

import { AbortedError, FtpTimeoutError, PathIOError } from "../streams/errors.ts";
import type {
  FileHandle,
  MkdirOptions,
  OpenMode,
  OpenOptions,
  PathIO,
  PathIOOptions,
  PathStat,
} from "./path_io.ts";
import { Deadlines } from "./deadlines.ts";
import { toPathIOError } from "./path_io_error.ts";
import { isWithin, normalize } from "./posix.ts";

/** Options every {@linkcode AbstractPathIO} backend takes. */
export interface PathIOBackendOptions {
  /**
   * Limit for each single operation (one `stat`, one `read`, one step of a
   * listing...), in milliseconds; it fails with kind `"timeout"`. Like
   * aioftp's `path_timeout`. `0` or absent: no limit.
   */
  timeoutMs?: number;
}

/** The open options a backend's {@linkcode AbstractPathIO.doOpen} receives, already checked. */
export interface BackendOpenOptions {
  /** Start position: a non-negative safe integer (0 when not given). */
  offset: number;
  /** The caller's `atomic` flag, `undefined` when not given (the backend picks its default). */
  atomic?: boolean;
}

/**
 * Base class of the storage backends. It implements {@linkcode PathIO} on top
 * of seven primitives and adds, once for every backend:
 *
 * - path checks: paths must be absolute and free of NUL bytes; they reach the
 *   primitives normalized (kind `"invalid"` otherwise);
 * - a per-operation time limit (`timeoutMs`) and the caller's `AbortSignal`,
 *   also for every operation of an opened {@linkcode FileHandle} and every
 *   step of a listing; a handle whose `open` finished too late is closed;
 * - errors: whatever a primitive throws reaches the caller as
 *   {@linkcode PathIOError} (see {@linkcode toPathIOError});
 * - `exists`/`isFile`/`isDir` from `doStat`, `mkdir`'s `parents`/`existOk`
 *   from a single-level `doMkdir`, and protection of the root, which cannot
 *   be removed, renamed or replaced.
 *
 * The primitives receive an `AbortSignal` that fires on timeout or abort;
 * backends that can cancel their work should pass it on.
 *
 * @example
 * ```ts
 * import { AbstractPathIO, MemoryPathIO } from "@ftpkit/ftp/pathio";
 * const io: AbstractPathIO = new MemoryPathIO({ timeoutMs: 30_000 });
 * await io.mkdir("/a/b", { parents: true });
 * ```
 */
export abstract class AbstractPathIO implements PathIO {
  /** Per-operation time limit in milliseconds (0: none). */
  readonly timeoutMs: number;
  readonly #deadlines?: Deadlines;

  /**
   * Set up the shared machinery.
   *
   * @param options Time limit shared by all operations.
   */
  constructor(options: PathIOBackendOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 0;
    if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    if (timeoutMs > 0) this.#deadlines = new Deadlines(timeoutMs);
  }

  /** Facts about `path`, following symbolic links. */
  protected abstract doStat(path: string, signal?: AbortSignal): Promise<PathStat>;
  /** Create the single directory `path` (its parent exists); fail with `"exists"` if anything is there. */
  protected abstract doMkdir(path: string, signal?: AbortSignal): Promise<void>;
  /** Remove the empty directory `path`. */
  protected abstract doRmdir(path: string, signal?: AbortSignal): Promise<void>;
  /** Remove the file `path` (`"is-a-directory"` for a directory). */
  protected abstract doUnlink(path: string, signal?: AbortSignal): Promise<void>;
  /** The names in directory `path` (without `.` and `..`). */
  protected abstract doList(path: string, signal?: AbortSignal): AsyncIterable<string>;
  /** Move `from` to `to` with posix `rename` semantics. */
  protected abstract doRename(from: string, to: string, signal?: AbortSignal): Promise<void>;
  /** Open a file; the handle's own methods need no time limits, the base class adds them. */
  protected abstract doOpen(
    path: string,
    mode: OpenMode,
    options: BackendOpenOptions,
    signal?: AbortSignal,
  ): Promise<FileHandle>;

  /** Whether anything exists at `path`. */
  exists(path: string, options?: PathIOOptions): Promise<boolean> {
    return this.#probe("exists", path, options, () => true);
  }

  /** Whether `path` is a regular file. */
  isFile(path: string, options?: PathIOOptions): Promise<boolean> {
    return this.#probe("isFile", path, options, (stat) => stat.type === "file");
  }

  /** Whether `path` is a directory. */
  isDir(path: string, options?: PathIOOptions): Promise<boolean> {
    return this.#probe("isDir", path, options, (stat) => stat.type === "dir");
  }

  /** Facts about `path` (kind `"not-found"` when missing). */
  async stat(path: string, options?: PathIOOptions): Promise<PathStat> {
    const p = checkPath(path, "stat");
    return await guard(
      "stat",
      p,
      this.#deadlines,
      options?.signal,
      (signal) => this.doStat(p, signal),
    );
  }

  /** Create a directory; `parents` creates missing ancestors, `existOk` accepts an existing directory. */
  async mkdir(path: string, options: MkdirOptions = {}): Promise<void> {
    const p = checkPath(path, "mkdir");
    return await guard("mkdir", p, this.#deadlines, options.signal, async (signal) => {
      const targets = options.parents ? ancestorsAndSelf(p) : [p];
      for (const target of targets) {
        const isLast = target === p;
        try {
          if (target === "/") throw new PathIOError("the root exists", { kind: "exists", path: p });
          await this.doMkdir(target, signal);
        } catch (err) {
          const error = toPathIOError(err, "mkdir", target);
          if (error.kind !== "exists" || (isLast && !options.existOk)) throw error;
          // Something is there: fine only if it is a directory.
          const stat = await this.doStat(target, signal).catch((statError) => {
            // A dangling link reads as missing; anything else (a refused link) is the answer.
            const reason = toPathIOError(statError, "mkdir", target);
            if (reason.kind === "not-found") return undefined;
            throw reason;
          });
          if (stat?.type !== "dir") throw error;
        }
        signal?.throwIfAborted();
      }
    });
  }

  /** Remove an empty directory (kind `"not-empty"` otherwise). The root cannot be removed. */
  async rmdir(path: string, options?: PathIOOptions): Promise<void> {
    const p = checkPath(path, "rmdir");
    return await guard("rmdir", p, this.#deadlines, options?.signal, (signal) => {
      if (p === "/") {
        throw new PathIOError("the root cannot be removed", { kind: "permission", path: p });
      }
      return this.doRmdir(p, signal);
    });
  }

  /** Remove a file (kind `"is-a-directory"` for a directory). */
  async unlink(path: string, options?: PathIOOptions): Promise<void> {
    const p = checkPath(path, "unlink");
    return await guard("unlink", p, this.#deadlines, options?.signal, (signal) => {
      if (p === "/") {
        throw new PathIOError("the root is a directory", { kind: "is-a-directory", path: p });
      }
      return this.doUnlink(p, signal);
    });
  }

  /**
   * The names in directory `path`, streamed. Each step is subject to the time
   * limit and the signal; leaving the loop early releases the listing.
   */
  async *list(path: string, options?: PathIOOptions): AsyncIterable<string> {
    const p = checkPath(path, "list");
    const signal = options?.signal;
    // One signal for the whole listing: fires when the caller aborts or a step times out.
    const listing = new AbortController();
    const onCallerAbort = () => listing.abort(abortError(signal!, "list"));
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    let settled = true;
    let iterator: AsyncIterator<string> | undefined;
    try {
      iterator = await guard(
        "list",
        p,
        this.#deadlines,
        signal,
        () => Promise.resolve(this.doList(p, listing.signal)[Symbol.asyncIterator]()),
      );
      for (;;) {
        settled = false;
        const step = await guard("list", p, this.#deadlines, signal, () => iterator!.next());
        settled = true;
        if (step.done) return;
        yield step.value;
      }
    } catch (err) {
      listing.abort(err);
      throw err;
    } finally {
      signal?.removeEventListener("abort", onCallerAbort);
      // After a timeout the pending `next()` may never settle; do not wait behind it.
      const closing = iterator?.return?.();
      if (settled) await closing?.catch(() => {});
      else closing?.catch(() => {});
    }
  }

  /**
   * Move `from` to `to`, replacing a file (or an empty directory by a
   * directory) at `to`. Moving a directory into itself fails with
   * `"invalid"`; the root cannot be moved or replaced.
   */
  async rename(from: string, to: string, options?: PathIOOptions): Promise<void> {
    const f = checkPath(from, "rename");
    const t = checkPath(to, "rename");
    return await guard("rename", f, this.#deadlines, options?.signal, async (signal) => {
      if (f === "/" || t === "/") {
        throw new PathIOError("the root cannot be renamed or replaced", {
          kind: "permission",
          path: f === "/" ? f : t,
        });
      }
      if (f === t) {
        await this.doStat(f, signal);
        return;
      }
      if (isWithin(f, t)) {
        throw new PathIOError(`cannot move ${f} into itself`, { kind: "invalid", path: t });
      }
      await this.doRename(f, t, signal);
    });
  }

  /**
   * Open a file. The handle's operations honour the same time limit and
   * `options.signal`; after the signal fires, `close()` discards like
   * `abort()` and fails with kind `"aborted"`.
   */
  async open(path: string, mode: OpenMode, options: OpenOptions = {}): Promise<FileHandle> {
    const p = checkPath(path, "open");
    if (!OPEN_MODES.has(mode)) {
      throw new PathIOError(`unknown open mode ${JSON.stringify(mode)}`, { kind: "invalid", path });
    }
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new PathIOError(`bad offset ${offset}`, { kind: "invalid", path: p });
    }
    const inner = await guard(
      "open",
      p,
      this.#deadlines,
      options.signal,
      (signal) => this.doOpen(p, mode, { offset, atomic: options.atomic }, signal),
      (late) => void late.abort().catch(() => {}),
    );
    return new GuardedFileHandle(inner, p, this.#deadlines, options.signal);
  }

  async #probe(
    what: string,
    path: string,
    options: PathIOOptions | undefined,
    test: (stat: PathStat) => boolean,
  ): Promise<boolean> {
    const p = checkPath(path, what);
    try {
      return test(
        await guard(what, p, this.#deadlines, options?.signal, (signal) => this.doStat(p, signal)),
      );
    } catch (err) {
      const kind = (err as PathIOError).kind;
      if (kind === "not-found" || kind === "not-a-directory") return false;
      throw err;
    }
  }
}

const OPEN_MODES = new Set<string>(["read", "write", "append", "readwrite"]);

/** Absolute, NUL-free, normalized; kind `"invalid"` otherwise. */
function checkPath(path: string, what: string): string {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new PathIOError(`${what}: path must be absolute: ${JSON.stringify(path)}`, {
      kind: "invalid",
      path: String(path),
    });
  }
  if (path.includes("\0")) {
    throw new PathIOError(`${what}: path contains a NUL byte`, { kind: "invalid", path });
  }
  return normalize(path);
}

/** `/a/b/c` → `["/a", "/a/b", "/a/b/c"]`. */
function ancestorsAndSelf(path: string): string[] {
  const out: string[] = [];
  let at = "";
  for (const part of path.split("/")) {
    if (!part) continue;
    at += "/" + part;
    out.push(at);
  }
  return out;
}

/**
 * Run `operation` under a time limit and the caller's signal. Unless
 * `wantsSignal` is false, the operation gets a signal that fires on either.
 * Failures become `PathIOError`s. When the caller stops waiting, a later
 * result is handed to `discardLate`.
 */
function guard<T>(
  what: string,
  path: string,
  deadlines: Deadlines | undefined,
  callerSignal: AbortSignal | undefined,
  operation: (signal?: AbortSignal) => Promise<T>,
  discardLate?: (value: T) => void,
  wantsSignal = true,
): Promise<T> {
  const fail = (err: unknown) => Promise.reject(toPathIOError(err, what, path));
  if (callerSignal?.aborted) return fail(abortError(callerSignal, what));
  if (!callerSignal && !deadlines) {
    try {
      return operation().catch(fail);
    } catch (err) {
      return fail(err);
    }
  }
  const controller = wantsSignal ? new AbortController() : undefined;
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let cancelDeadline: (() => void) | undefined;
    const cleanup = () => {
      cancelDeadline?.();
      callerSignal?.removeEventListener("abort", onCallerAbort);
    };
    const stop = (reason: unknown) => {
      if (finished) return;
      finished = true;
      cleanup();
      controller?.abort(reason);
      reject(toPathIOError(reason, what, path));
    };
    const onCallerAbort = () => stop(abortError(callerSignal!, what));
    callerSignal?.addEventListener("abort", onCallerAbort, { once: true });
    if (deadlines) {
      cancelDeadline = deadlines.start(() => stop(new FtpTimeoutError(what, deadlines.timeoutMs)));
    }
    let running: Promise<T>;
    try {
      running = operation(controller?.signal);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (value) => {
        if (finished) return discardLate?.(value);
        finished = true;
        cleanup();
        resolve(value);
      },
      (err) => {
        if (finished) return;
        finished = true;
        cleanup();
        reject(toPathIOError(err, what, path));
      },
    );
  });
}

function abortError(signal: AbortSignal, what: string): Error {
  const reason = signal.reason;
  if (reason instanceof PathIOError || reason instanceof AbortedError) return reason;
  return new AbortedError(`${what} aborted`, { cause: reason });
}

/** Adds the time limit, the signal and closed-state checks to a backend's handle. */
class GuardedFileHandle implements FileHandle {
  readonly #inner: FileHandle;
  readonly #path: string;
  readonly #deadlines?: Deadlines;
  readonly #signal?: AbortSignal;
  #closed = false;

  constructor(inner: FileHandle, path: string, deadlines?: Deadlines, signal?: AbortSignal) {
    this.#inner = inner;
    this.#path = path;
    this.#deadlines = deadlines;
    this.#signal = signal;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#run("read", () => this.#inner.read(buffer));
  }

  write(data: Uint8Array): Promise<void> {
    return this.#run("write", () => this.#inner.write(data));
  }

  seek(offset: number): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(
        new PathIOError(`bad seek offset ${offset}`, { kind: "invalid", path: this.#path }),
      );
    }
    return this.#run("seek", () => this.#inner.seek(offset));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#signal?.aborted) {
      await this.abort();
      throw toPathIOError(abortError(this.#signal, "close"), "close", this.#path);
    }
    this.#closed = true;
    await guard("close", this.#path, this.#deadlines, undefined, () => this.#inner.close());
  }

  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Discarding must work after the caller's signal fired: only the time limit applies.
    await guard("abort", this.#path, this.#deadlines, undefined, () => this.#inner.abort());
  }

  #run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new PathIOError(`${what} on a closed file`, { kind: "invalid", path: this.#path }),
      );
    }
    // Handle methods take no signal: skip making one per chunk.
    return guard(what, this.#path, this.#deadlines, this.#signal, operation, undefined, false);
  }
}

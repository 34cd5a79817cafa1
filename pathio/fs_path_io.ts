/**
 * {@linkcode FsPathIO}: the local-disk backend (aioftp's `PathIO`), on
 * `node:fs/promises`, which Deno, Bun and Node all provide.
 *
 * @module
 */

import { constants, read as readFd, type Stats, write as writeFd } from "node:fs";
import * as fs from "node:fs/promises";
import { sep } from "node:path";
import { PathIOError } from "../streams/errors.ts";
import {
  AbstractPathIO,
  type BackendOpenOptions,
  type PathIOBackendOptions,
} from "./abstract_path_io.ts";
import type { FileHandle, OpenMode, PathStat } from "./path_io.ts";
import { toPathIOError } from "./path_io_error.ts";
import { isWithin } from "./posix.ts";

/**
 * Names starting with this are the temporary files of atomic writes: `list`
 * never shows them and no path may name them.
 */
export const ATOMIC_TEMP_PREFIX = ".ftpkit-tmp.";

/** Options of {@linkcode FsPathIO}. */
export interface FsPathIOOptions extends PathIOBackendOptions {
  /** The directory that `/` stands for. Nothing outside it is ever touched. */
  root: string;
  /**
   * Default of `open(path, "write")`'s `atomic` option (default `true`): an
   * upload goes to a hidden temporary file beside the target and replaces it
   * on `close()`, so an interrupted upload never damages an existing file.
   */
  atomicWrites?: boolean;
}

const IS_WINDOWS = sep === "\\";

/**
 * The process's working directory (symbolic links resolved), for clients
 * that resolve relative local paths with an {@linkcode FsPathIO} rooted at
 * `/`. Read with `node:fs/promises`, so the runtime-neutral core needs no
 * `node:process`.
 *
 * @example
 * ```ts
 * import { localWorkingDirectory } from "@ftpkit/ftp/pathio";
 * console.log(await localWorkingDirectory()); // e.g. "/home/bob"
 * ```
 */
export function localWorkingDirectory(): Promise<string> {
  return fs.realpath(".");
}
/** Characters Windows would treat as separators, drive or stream markers, or wildcards. */
const WINDOWS_UNSAFE = /[\\:*?"<>|]|[. ]$/;

/**
 * Files on the local disk below `root`. All paths are absolute posix paths
 * inside `root` (`/` is `root` itself).
 *
 * Confinement: every operation resolves the real path (`realpath`) of the
 * parent directory and checks it lies within the real root; an operation
 * that follows the last component (`stat`, `list`, `open`) resolves it too.
 * Symbolic links pointing inside the root work; any that lead outside fail
 * with kind `"permission"` and are left out of `list`. Files are opened with
 * `O_NOFOLLOW` on their resolved path, so a symbolic link swapped in after
 * the check is refused. `unlink`, `rmdir` and `rename` act on a link itself,
 * never on its target.
 *
 * Names: on posix every byte but `/` and NUL is an ordinary character
 * (a backslash too). On Windows, names with `\ : * ? " < > |` or a trailing
 * dot or space are refused with kind `"invalid"`, so no name can act as a
 * separator, a drive or an alias of another name.
 *
 * @example
 * ```ts
 * import { FsPathIO } from "@ftpkit/ftp/pathio";
 * const io = new FsPathIO({ root: "/srv/ftp", timeoutMs: 30_000 });
 * for await (const name of io.list("/")) console.log(name);
 * ```
 */
export class FsPathIO extends AbstractPathIO {
  /** The root directory as given. */
  readonly root: string;
  readonly #atomicWrites: boolean;
  #realRoot?: Promise<string>;

  /**
   * A backend over `options.root` (which need not exist yet).
   *
   * @param options Root directory, time limit and atomic-write default.
   */
  constructor(options: FsPathIOOptions) {
    super(options);
    if (!options.root) throw new TypeError("FsPathIO needs a root directory");
    this.root = options.root;
    this.#atomicWrites = options.atomicWrites ?? true;
  }

  /** Facts about `path` (follows symbolic links inside the root). */
  protected async doStat(path: string): Promise<PathStat> {
    const found = await this.#find(path, true);
    const stat = typeof found === "string"
      ? await fs.stat(found)
      : found.stat ?? await fs.stat(found.real);
    return {
      type: stat.isFile() ? "file" : stat.isDirectory() ? "dir" : "other",
      size: stat.size,
      mtime: stat.mtimeMs,
      ctime: stat.ctimeMs,
      nlink: stat.nlink,
      mode: stat.mode & 0o7777,
    };
  }

  /** Create one directory. */
  protected async doMkdir(path: string): Promise<void> {
    await fs.mkdir(await this.#locate(path, false));
  }

  /** Remove an empty directory. */
  protected async doRmdir(path: string): Promise<void> {
    await fs.rmdir(await this.#locate(path, false));
  }

  /** Remove a file. */
  protected async doUnlink(path: string): Promise<void> {
    const real = await this.#locate(path, false);
    // Runtimes disagree on unlink(directory) (EISDIR, EPERM, ENOTEMPTY): ask first.
    if ((await fs.lstat(real)).isDirectory()) {
      throw new PathIOError("is a directory", { kind: "is-a-directory", path });
    }
    await fs.unlink(real);
  }

  /** The names in a directory. */
  protected async *doList(path: string): AsyncIterable<string> {
    const real = await this.#locate(path, true);
    const realRoot = await this.#getRealRoot();
    const dir = await fs.opendir(real);
    for await (const entry of dir) {
      if (entry.name.startsWith(ATOMIC_TEMP_PREFIX)) continue;
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(joinOs(real, entry.name)).catch(() => undefined);
        if (target === undefined || !isWithinOs(realRoot, target)) continue;
      }
      yield entry.name;
    }
  }

  /** Move with posix `rename` semantics. */
  protected async doRename(from: string, to: string): Promise<void> {
    const realFrom = await this.#locate(from, false);
    const realTo = await this.#locate(to, false);
    await fs.rename(realFrom, realTo);
  }

  /** Open a file in `mode`. */
  protected async doOpen(
    path: string,
    mode: OpenMode,
    options: BackendOpenOptions,
  ): Promise<FileHandle> {
    const located = await this.#find(path, true);
    const found: Located = typeof located === "string" ? { real: located } : located;
    const real = found.real;
    const { offset } = options;
    const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_EXCL } = constants;
    const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
    if (mode === "read" || mode === "readwrite") {
      const handle = await fs.open(real, (mode === "read" ? O_RDONLY : O_RDWR) | O_NOFOLLOW);
      // The lstat of the lookup already tells a regular file (one round trip less);
      // a directory swapped in since then fails on its first read (EISDIR).
      if (!found.stat?.isFile()) await refuseDirectory(handle, path);
      return new FsFileHandle(handle, offset, false);
    }
    if (mode === "append") {
      const handle = await fs.open(real, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o666);
      return new FsFileHandle(handle, 0, true);
    }
    // "write"
    if (offset === 0 && (options.atomic ?? this.#atomicWrites)) {
      const existing = found.stat ?? await fs.stat(real).catch(() => undefined);
      if (existing?.isDirectory()) {
        throw new PathIOError("is a directory", { kind: "is-a-directory", path });
      }
      const temp = joinOs(parentOs(real), ATOMIC_TEMP_PREFIX + randomHex());
      const handle = await fs.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666);
      if (existing) await handle.chmod(existing.mode & 0o7777).catch(() => {});
      return new FsFileHandle(handle, 0, false, { temp, target: real });
    }
    const handle = await fs.open(
      real,
      O_WRONLY | O_CREAT | O_NOFOLLOW | (offset === 0 ? O_TRUNC : 0),
      0o666,
    );
    try {
      if (offset > 0) {
        const size = (await handle.stat()).size;
        if (offset > size) {
          throw new PathIOError(`offset ${offset} is past the end of the file`, {
            kind: "invalid",
            path,
          });
        }
        await handle.truncate(offset);
      }
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
    return new FsFileHandle(handle, offset, false);
  }

  #getRealRoot(): Promise<string> {
    if (!this.#realRoot) {
      const pending = fs.realpath(this.root);
      this.#realRoot = pending;
      // Retry later if the root is missing now (it may be created after construction).
      pending.catch(() => {
        if (this.#realRoot === pending) this.#realRoot = undefined;
      });
    }
    return this.#realRoot;
  }

  /**
   * The real OS path for `path`, confined to the real root. The parent
   * directory is always resolved; the last component too when `follow`.
   */
  async #locate(path: string, follow: boolean): Promise<string> {
    const found = await this.#find(path, follow);
    return typeof found === "string" ? found : found.real;
  }

  /**
   * {@linkcode FsPathIO.#locate}, plus the `lstat` it made of the last
   * component when that is not a link (so it doubles as `stat`).
   */
  async #find(path: string, follow: boolean): Promise<string | Located> {
    const parts = path.split("/").filter((part) => part !== "");
    for (const part of parts) {
      if (part.startsWith(ATOMIC_TEMP_PREFIX)) {
        throw new PathIOError("no such file or directory", { kind: "not-found", path });
      }
      if (IS_WINDOWS && WINDOWS_UNSAFE.test(part)) {
        throw new PathIOError(`name not allowed here: ${JSON.stringify(part)}`, {
          kind: "invalid",
          path,
        });
      }
    }
    const realRoot = await this.#getRealRoot();
    if (parts.length === 0) return realRoot;
    const last = parts.pop()!;
    let realParent = realRoot;
    if (parts.length > 0) {
      // Below the filesystem's own root nothing can lead outside: the kernel
      // follows links in the parent just as realpath would. Saves a call per
      // operation for clients, whose local disk is rooted at `/`.
      realParent = realRoot === "/"
        ? "/" + parts.join("/")
        : await fs.realpath(joinOs(realRoot, ...parts));
      this.#confine(realRoot, realParent, path);
    }
    const candidate = joinOs(realParent, last);
    if (!follow) return candidate;
    const link = await fs.lstat(candidate).catch(() => undefined);
    if (!link?.isSymbolicLink()) return { real: candidate, stat: link };
    // A dangling link stays as it is: opening it with O_NOFOLLOW fails, stat finds nothing.
    const target = await fs.realpath(candidate).catch(() => undefined);
    if (target === undefined) return candidate;
    this.#confine(realRoot, target, path);
    return target;
  }

  #confine(realRoot: string, real: string, path: string): void {
    if (!isWithinOs(realRoot, real)) {
      throw new PathIOError("path leads outside the root", { kind: "permission", path });
    }
  }
}

/** A located path and, when it was no link, its `lstat`. */
interface Located {
  real: string;
  stat?: Stats;
}

/** Wraps a `node:fs` handle; tracks the position itself so reads and writes are positional. */
class FsFileHandle implements FileHandle {
  readonly #handle: fs.FileHandle;
  readonly #append: boolean;
  readonly #atomic?: { temp: string; target: string };
  #position: number;

  constructor(
    handle: fs.FileHandle,
    position: number,
    append: boolean,
    atomic?: { temp: string; target: string },
  ) {
    this.#handle = handle;
    this.#position = position;
    this.#append = append;
    this.#atomic = atomic;
  }

  // Reads and writes use the callback API on the handle's descriptor: the
  // same system calls with 10-25 % less CPU per call than the FileHandle
  // methods on Node and Deno (measured with 40 KiB reads; equal on Bun).

  async read(buffer: Uint8Array): Promise<number | null> {
    if (buffer.byteLength === 0) return 0;
    const fd = this.#handle.fd;
    const bytesRead = await new Promise<number>((resolve, reject) =>
      readFd(fd, buffer, 0, buffer.byteLength, this.#position, (err, n) => {
        if (err) reject(err);
        else resolve(n);
      })
    );
    this.#position += bytesRead;
    return bytesRead === 0 ? null : bytesRead;
  }

  async write(data: Uint8Array): Promise<void> {
    const fd = this.#handle.fd;
    let done = 0;
    while (done < data.byteLength) {
      // O_APPEND puts every write at the end; `null` writes at the handle's own position.
      const bytesWritten = await new Promise<number>((resolve, reject) =>
        writeFd(
          fd,
          data,
          done,
          data.byteLength - done,
          this.#append ? null : this.#position,
          (err, n) => {
            if (err) reject(err);
            else resolve(n);
          },
        )
      );
      done += bytesWritten;
      if (!this.#append) this.#position += bytesWritten;
    }
  }

  seek(offset: number): Promise<void> {
    this.#position = offset;
    return Promise.resolve();
  }

  async close(): Promise<void> {
    const atomic = this.#atomic;
    if (!atomic) {
      await this.#handle.close();
      return;
    }
    try {
      await this.#handle.close();
      await fs.rename(atomic.temp, atomic.target);
    } catch (err) {
      await fs.unlink(atomic.temp).catch(() => {});
      throw toPathIOError(err, "commit upload", atomic.target);
    }
  }

  async abort(): Promise<void> {
    try {
      await this.#handle.close();
    } finally {
      if (this.#atomic) await fs.unlink(this.#atomic.temp).catch(() => {});
    }
  }
}

async function refuseDirectory(handle: fs.FileHandle, path: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await handle.stat()).isDirectory();
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
  if (isDir) {
    await handle.close().catch(() => {});
    throw new PathIOError("is a directory", { kind: "is-a-directory", path });
  }
}

function joinOs(base: string, ...names: string[]): string {
  const trimmed = base.endsWith(sep) || base.endsWith("/") ? base.slice(0, -1) : base;
  return [trimmed, ...names].join(sep);
}

function parentOs(path: string): string {
  const at = Math.max(path.lastIndexOf(sep), path.lastIndexOf("/"));
  return at <= 0 ? path.slice(0, at + 1) : path.slice(0, at);
}

function isWithinOs(root: string, path: string): boolean {
  if (!IS_WINDOWS) return isWithin(root, path);
  const r = root.replaceAll("\\", "/").toLowerCase();
  const p = path.replaceAll("\\", "/").toLowerCase();
  return p === r || p.startsWith(r.endsWith("/") ? r : r + "/");
}

function randomHex(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

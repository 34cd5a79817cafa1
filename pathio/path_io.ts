/**
 * The storage contract every part of ftpkit reaches files through (aioftp's
 * `AbstractPathIO`). Implement {@linkcode PathIO} to serve files from a
 * database or an object store.
 *
 * Paths given to a `PathIO` are absolute, normalized posix paths in the
 * backend's own namespace (`"/"` is the backend's root). Every failure is a
 * `PathIOError` whose `kind` tells what happened and whose `cause` is the
 * backend's original error. Extend {@linkcode AbstractPathIO} to get path
 * checks, time limits, `AbortSignal` support and error mapping for free, and
 * check a backend with the conformance suite (`tests/pathio/_conformance.ts`).
 *
 * @module
 */

/** What a path names. */
export type FileType = "file" | "dir" | "symlink" | "other";

/** File facts, as `stat` returns them. */
export interface PathStat {
  /** What the path is. Symbolic links are followed where the backend allows it. */
  type: FileType;
  /** Size in bytes (0 for directories where unknown). */
  size: number;
  /** Last modification, milliseconds since the epoch. */
  mtime: number;
  /** Last status change (or creation), milliseconds since the epoch. */
  ctime: number;
  /** Number of hard links. */
  nlink: number;
  /** Posix permission bits (e.g. `0o644`), without the file type bits. */
  mode: number;
}

/**
 * How {@linkcode PathIO.open} opens a file.
 *
 * - `"read"`: an existing file, from `offset` (default 0; past the end reads nothing).
 * - `"write"`: create or truncate, then write. With an `offset` (REST + STOR)
 *   the file is cut at `offset` and writing continues there, keeping the
 *   bytes before it; an `offset` past the current end fails with kind
 *   `"invalid"`.
 * - `"append"`: create if missing; every write goes to the end (`seek` does
 *   not move it).
 * - `"readwrite"`: an existing file, read and written at `offset` without
 *   truncating.
 *
 * Opening a directory fails with kind `"is-a-directory"`, a missing file
 * (for `"read"`/`"readwrite"`) or parent directory with `"not-found"`.
 */
export type OpenMode =
  /** Read from `offset` (default 0). */
  | "read"
  /** Create or truncate, then write (at `offset` when given: REST + STOR keeps the bytes before it). */
  | "write"
  /** Create if missing, write at the end. */
  | "append"
  /** Open an existing file for reading and writing at `offset` without truncating. */
  | "readwrite";

/** Options every {@linkcode PathIO} operation takes. */
export interface PathIOOptions {
  /** Cancels the operation (it fails with `PathIOError` of kind `"aborted"`). */
  signal?: AbortSignal;
}

/** Options of {@linkcode PathIO.mkdir}. */
export interface MkdirOptions extends PathIOOptions {
  /** Create missing parents too. */
  parents?: boolean;
  /** Do not fail when the directory exists already. */
  existOk?: boolean;
}

/** Options of {@linkcode PathIO.open}. */
export interface OpenOptions extends PathIOOptions {
  /** Start position for `"read"`, `"write"` and `"readwrite"`. */
  offset?: number;
  /**
   * For `"write"`: write to a temporary file and rename it over the target
   * only when the handle is closed successfully, so an interrupted upload
   * never damages an existing file. Backends that cannot do this ignore it.
   * The default is the backend's (`true` for {@linkcode FsPathIO} and
   * {@linkcode MemoryPathIO}). A write at an `offset` (a resumed upload)
   * always goes in place: the partial file is what the resume builds on.
   */
  atomic?: boolean;
}

/**
 * An open file. `close()` commits what was written (for an atomic write it
 * renames the temporary file into place); `abort()` discards it. After
 * either, every operation fails with kind `"invalid"`; so does reading a
 * handle opened only for writing, or writing one opened for `"read"`.
 * {@linkcode fileReadable} and {@linkcode fileWritable} turn a handle into
 * Web Streams.
 */
export interface FileHandle {
  /** Read into `buffer`; the number of bytes read, or `null` at the end of the file. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Write all of `data` at the current position; `data` is the caller's again once this resolves (keep a copy, not the buffer). */
  write(data: Uint8Array): Promise<void>;
  /** Move the position. */
  seek(offset: number): Promise<void>;
  /** Flush and close; commits an atomic write. */
  close(): Promise<void>;
  /** Close without committing: an atomic write leaves the target as it was. */
  abort(): Promise<void>;
}

/**
 * The storage layer.
 *
 * @example
 * ```ts
 * import { MemoryPathIO } from "@ftpkit/ftp/pathio";
 * const io = new MemoryPathIO();
 * await io.mkdir("/docs", { parents: true });
 * console.log(await io.isDir("/docs")); // true
 * ```
 */
export interface PathIO {
  /** Whether anything exists at `path`. */
  exists(path: string, options?: PathIOOptions): Promise<boolean>;
  /** Whether `path` is a regular file. */
  isFile(path: string, options?: PathIOOptions): Promise<boolean>;
  /** Whether `path` is a directory. */
  isDir(path: string, options?: PathIOOptions): Promise<boolean>;
  /** Facts about `path`. Fails with kind `"not-found"` when missing. */
  stat(path: string, options?: PathIOOptions): Promise<PathStat>;
  /** Create a directory. */
  mkdir(path: string, options?: MkdirOptions): Promise<void>;
  /** Remove an empty directory (kind `"not-empty"` otherwise). */
  rmdir(path: string, options?: PathIOOptions): Promise<void>;
  /** Remove a file (kind `"is-a-directory"` for a directory). */
  unlink(path: string, options?: PathIOOptions): Promise<void>;
  /** The names in directory `path`. */
  list(path: string, options?: PathIOOptions): AsyncIterable<string>;
  /** Move `from` to `to`, replacing a file at `to`. */
  rename(from: string, to: string, options?: PathIOOptions): Promise<void>;
  /** Open a file. */
  open(path: string, mode: OpenMode, options?: OpenOptions): Promise<FileHandle>;
}

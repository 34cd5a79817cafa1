/**
 * {@linkcode MemoryPathIO}: a complete file tree in memory (aioftp's
 * `MemoryPathIO`), for tests, demos and throw-away servers.
 *
 * @module
 */

import { PathIOError } from "../streams/errors.ts";
import {
  AbstractPathIO,
  type BackendOpenOptions,
  type PathIOBackendOptions,
} from "./abstract_path_io.ts";
import { ChunkedBytes } from "./chunked_bytes.ts";
import type { FileHandle, OpenMode, PathStat } from "./path_io.ts";
import { name as baseName, parent } from "./posix.ts";

/** Options of {@linkcode MemoryPathIO}. */
export interface MemoryPathIOOptions extends PathIOBackendOptions {
  /**
   * Default of `open(path, "write")`'s `atomic` option: write into a detached
   * file and swap it in on `close()` (default `true`, like {@linkcode FsPathIO}).
   */
  atomicWrites?: boolean;
  /** Permission bits of new files (default `0o644`). */
  fileMode?: number;
  /** Permission bits of new directories (default `0o755`). */
  dirMode?: number;
}

interface MemoryFile {
  type: "file";
  mode: number;
  mtime: number;
  ctime: number;
  bytes: ChunkedBytes;
}

interface MemoryDir {
  type: "dir";
  mode: number;
  mtime: number;
  ctime: number;
  entries: Map<string, MemoryNode>;
}

type MemoryNode = MemoryFile | MemoryDir;

/**
 * An in-memory file tree. One instance can be shared by every connection of a
 * server: all see the same files, and a file being read while it is written
 * shows the bytes written so far (atomic writes show up on `close()`).
 * Sizes, `mtime`/`ctime` (updated by writes, renames and directory changes),
 * `nlink` (2 + subdirectories for a directory) and modes behave like a posix
 * file system. Contents grow in 256 KiB blocks, so large uploads never copy
 * what was already stored.
 *
 * @example
 * ```ts
 * import { fileReadable, fileWritable, MemoryPathIO } from "@ftpkit/ftp/pathio";
 * const io = new MemoryPathIO();
 * await io.mkdir("/pub");
 * const body = new Blob(["hello"]).stream();
 * await body.pipeTo(fileWritable(await io.open("/pub/a.txt", "write")));
 * const text = await new Response(fileReadable(await io.open("/pub/a.txt", "read"))).text();
 * console.log(text); // "hello"
 * ```
 */
export class MemoryPathIO extends AbstractPathIO {
  readonly #root: MemoryDir;
  readonly #atomicWrites: boolean;
  readonly #fileMode: number;
  readonly #dirMode: number;

  /**
   * An empty tree (just `/`).
   *
   * @param options Time limit, atomic-write default and modes of new entries.
   */
  constructor(options: MemoryPathIOOptions = {}) {
    super(options);
    this.#atomicWrites = options.atomicWrites ?? true;
    this.#fileMode = options.fileMode ?? 0o644;
    this.#dirMode = options.dirMode ?? 0o755;
    this.#root = newDir(this.#dirMode);
  }

  /** Facts about `path`. */
  protected doStat(path: string): Promise<PathStat> {
    const node = this.#find(path);
    let nlink = 1;
    if (node.type === "dir") {
      nlink = 2;
      for (const child of node.entries.values()) if (child.type === "dir") nlink++;
    }
    return Promise.resolve({
      type: node.type,
      size: node.type === "file" ? node.bytes.size : 0,
      mtime: node.mtime,
      ctime: node.ctime,
      nlink,
      mode: node.mode,
    });
  }

  /** Create one directory. */
  protected doMkdir(path: string): Promise<void> {
    const dir = this.#findDir(parent(path));
    const name = baseName(path);
    if (dir.entries.has(name)) throw new PathIOError("exists", { kind: "exists", path });
    dir.entries.set(name, newDir(this.#dirMode));
    touch(dir);
    return Promise.resolve();
  }

  /** Remove an empty directory. */
  protected doRmdir(path: string): Promise<void> {
    const dir = this.#findDir(parent(path));
    const node = this.#entry(dir, path);
    if (node.type !== "dir") {
      throw new PathIOError("not a directory", { kind: "not-a-directory", path });
    }
    if (node.entries.size > 0) throw new PathIOError("not empty", { kind: "not-empty", path });
    dir.entries.delete(baseName(path));
    touch(dir);
    return Promise.resolve();
  }

  /** Remove a file. */
  protected doUnlink(path: string): Promise<void> {
    const dir = this.#findDir(parent(path));
    const node = this.#entry(dir, path);
    if (node.type === "dir") {
      throw new PathIOError("is a directory", { kind: "is-a-directory", path });
    }
    dir.entries.delete(baseName(path));
    touch(dir);
    return Promise.resolve();
  }

  /** The names in a directory. */
  protected async *doList(path: string): AsyncIterable<string> {
    const dir = this.#findDir(path);
    // A snapshot: the directory may change while the caller iterates.
    yield* [...dir.entries.keys()];
  }

  /** Move with posix `rename` semantics. */
  protected doRename(from: string, to: string): Promise<void> {
    const fromDir = this.#findDir(parent(from));
    const node = this.#entry(fromDir, from);
    const toDir = this.#findDir(parent(to));
    const existing = toDir.entries.get(baseName(to));
    if (existing === node) return Promise.resolve();
    if (existing) {
      if (node.type === "file" && existing.type === "dir") {
        throw new PathIOError("target is a directory", { kind: "is-a-directory", path: to });
      }
      if (node.type === "dir" && existing.type === "file") {
        throw new PathIOError("target is not a directory", { kind: "not-a-directory", path: to });
      }
      if (existing.type === "dir" && existing.entries.size > 0) {
        throw new PathIOError("target directory is not empty", { kind: "not-empty", path: to });
      }
    }
    fromDir.entries.delete(baseName(from));
    toDir.entries.set(baseName(to), node);
    node.ctime = Date.now();
    touch(fromDir);
    touch(toDir);
    return Promise.resolve();
  }

  /** Open a file in `mode`. */
  protected doOpen(path: string, mode: OpenMode, options: BackendOpenOptions): Promise<FileHandle> {
    const dir = this.#findDir(parent(path));
    const name = baseName(path);
    let node = dir.entries.get(name);
    if (node?.type === "dir") {
      throw new PathIOError("is a directory", { kind: "is-a-directory", path });
    }
    if (mode === "read" || mode === "readwrite") {
      if (!node) throw new PathIOError("no such file", { kind: "not-found", path });
      return Promise.resolve(new MemoryFileHandle(node, mode, options.offset));
    }
    if (mode === "write" && options.offset > (node?.bytes.size ?? 0)) {
      throw new PathIOError(`offset ${options.offset} is past the end of the file`, {
        kind: "invalid",
        path,
      });
    }
    const atomic = mode === "write" && options.offset === 0 &&
      (options.atomic ?? this.#atomicWrites);
    if (atomic) {
      const detached = newFile(node?.mode ?? this.#fileMode);
      const commit = () => {
        // The target may have changed while the upload ran: re-check it.
        const current = dir.entries.get(name);
        if (current?.type === "dir") {
          throw new PathIOError("is a directory", { kind: "is-a-directory", path });
        }
        detached.ctime = Date.now();
        dir.entries.set(name, detached);
        touch(dir);
      };
      return Promise.resolve(new MemoryFileHandle(detached, mode, 0, commit));
    }
    if (!node) {
      node = newFile(this.#fileMode);
      dir.entries.set(name, node);
      touch(dir);
    }
    if (mode === "write") {
      node.bytes.truncate(options.offset);
      touch(node);
    }
    return Promise.resolve(new MemoryFileHandle(node, mode, options.offset));
  }

  #find(path: string): MemoryNode {
    let node: MemoryNode = this.#root;
    for (const part of path.split("/")) {
      if (!part) continue;
      if (node.type !== "dir") {
        throw new PathIOError("not a directory", { kind: "not-a-directory", path });
      }
      const next = node.entries.get(part);
      if (!next) throw new PathIOError("no such file or directory", { kind: "not-found", path });
      node = next;
    }
    return node;
  }

  #findDir(path: string): MemoryDir {
    const node = this.#find(path);
    if (node.type !== "dir") {
      throw new PathIOError("not a directory", { kind: "not-a-directory", path });
    }
    return node;
  }

  #entry(dir: MemoryDir, path: string): MemoryNode {
    const node = dir.entries.get(baseName(path));
    if (!node) throw new PathIOError("no such file or directory", { kind: "not-found", path });
    return node;
  }
}

function newDir(mode: number): MemoryDir {
  const now = Date.now();
  return { type: "dir", mode, mtime: now, ctime: now, entries: new Map() };
}

function newFile(mode: number): MemoryFile {
  const now = Date.now();
  return { type: "file", mode, mtime: now, ctime: now, bytes: new ChunkedBytes() };
}

function touch(node: MemoryNode): void {
  node.mtime = node.ctime = Date.now();
}

class MemoryFileHandle implements FileHandle {
  readonly #file: MemoryFile;
  readonly #mode: OpenMode;
  readonly #commit?: () => void;
  #position: number;

  constructor(file: MemoryFile, mode: OpenMode, offset: number, commit?: () => void) {
    this.#file = file;
    this.#mode = mode;
    this.#position = offset;
    this.#commit = commit;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#mode !== "read" && this.#mode !== "readwrite") {
      throw new PathIOError("file not opened for reading", { kind: "invalid" });
    }
    if (buffer.byteLength === 0) return Promise.resolve(0);
    const n = this.#file.bytes.read(this.#position, buffer);
    this.#position += n;
    return Promise.resolve(n === 0 ? null : n);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#mode === "read") {
      throw new PathIOError("file not opened for writing", { kind: "invalid" });
    }
    const bytes = this.#file.bytes;
    const at = this.#mode === "append" ? bytes.size : this.#position;
    bytes.write(at, data);
    this.#position = at + data.byteLength;
    touch(this.#file);
    return Promise.resolve();
  }

  seek(offset: number): Promise<void> {
    this.#position = offset;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#commit?.();
    return Promise.resolve();
  }

  abort(): Promise<void> {
    return Promise.resolve();
  }
}

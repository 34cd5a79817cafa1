/**
 * A `PathIO` wrapper that fails on command and counts what is open, so the
 * fault tests can inject disk-full and permission errors from the backend
 * and check that the server closes every handle it opened.
 *
 * @module
 */

import type {
  FileHandle,
  MkdirOptions,
  OpenMode,
  OpenOptions,
  PathIO,
  PathIOOptions,
  PathStat,
} from "../../pathio/path_io.ts";
import { PathIOError, type PathIOErrorKind } from "../../streams/errors.ts";

/** A fault to inject. */
export interface Fault {
  /** Fail the Nth `write` (1-based, counted across all handles since the fault was set). */
  atWrite?: number;
  /**
   * Fail the write that would take the bytes written past this count
   * (independent of how the runtime chunks a transfer).
   */
  afterBytes?: number;
  /** Fail every `open` in a writing mode. */
  onOpenForWrite?: boolean;
  /** Kind of the `PathIOError` thrown. */
  kind: PathIOErrorKind;
}

/** Wraps a backend; see the module doc. */
export class FaultyPathIO implements PathIO {
  /** The wrapped backend. */
  readonly inner: PathIO;
  /** Handles opened and not yet closed or aborted. */
  openHandles = 0;
  /** Handles ever opened. */
  opened = 0;
  /** Handles closed with `close()` (committed). */
  committed = 0;
  /** Handles closed with `abort()`. */
  aborted = 0;
  /** Faults thrown so far. */
  faultsThrown = 0;
  #fault: Fault | null = null;
  #writes = 0;
  #bytes = 0;

  /** @param inner The backend that does the real work. */
  constructor(inner: PathIO) {
    this.inner = inner;
  }

  /** Arm a fault (or clear it with `null`); restarts the write count. */
  setFault(fault: Fault | null): void {
    this.#fault = fault;
    this.#writes = 0;
    this.#bytes = 0;
  }

  #fail(what: string, path?: string): never {
    this.faultsThrown++;
    const kind = this.#fault!.kind;
    throw new PathIOError(`injected ${kind} fault in ${what}`, {
      kind,
      path,
      cause: new Error(kind === "no-space" ? "ENOSPC (injected)" : "EACCES (injected)"),
    });
  }

  exists(path: string, options?: PathIOOptions): Promise<boolean> {
    return this.inner.exists(path, options);
  }
  isFile(path: string, options?: PathIOOptions): Promise<boolean> {
    return this.inner.isFile(path, options);
  }
  isDir(path: string, options?: PathIOOptions): Promise<boolean> {
    return this.inner.isDir(path, options);
  }
  stat(path: string, options?: PathIOOptions): Promise<PathStat> {
    return this.inner.stat(path, options);
  }
  mkdir(path: string, options?: MkdirOptions): Promise<void> {
    return this.inner.mkdir(path, options);
  }
  rmdir(path: string, options?: PathIOOptions): Promise<void> {
    return this.inner.rmdir(path, options);
  }
  unlink(path: string, options?: PathIOOptions): Promise<void> {
    return this.inner.unlink(path, options);
  }
  list(path: string, options?: PathIOOptions): AsyncIterable<string> {
    return this.inner.list(path, options);
  }
  rename(from: string, to: string, options?: PathIOOptions): Promise<void> {
    return this.inner.rename(from, to, options);
  }

  async open(path: string, mode: OpenMode, options?: OpenOptions): Promise<FileHandle> {
    if (mode !== "read" && this.#fault?.onOpenForWrite) this.#fail("open", path);
    const handle = await this.inner.open(path, mode, options);
    this.opened++;
    this.openHandles++;
    let finished = false;
    const finish = (how: "committed" | "aborted") => {
      if (finished) return;
      finished = true;
      this.openHandles--;
      this[how]++;
    };
    return {
      read: (buffer) => handle.read(buffer),
      write: async (data) => {
        this.#writes++;
        this.#bytes += data.byteLength;
        const at = this.#fault?.atWrite;
        const limit = this.#fault?.afterBytes;
        if (at !== undefined && this.#writes >= at) this.#fail("write", path);
        if (limit !== undefined && this.#bytes > limit) this.#fail("write", path);
        await handle.write(data);
      },
      seek: (offset) => handle.seek(offset),
      close: async () => {
        try {
          await handle.close();
        } finally {
          finish("committed");
        }
      },
      abort: async () => {
        try {
          await handle.abort();
        } finally {
          finish("aborted");
        }
      },
    };
  }
}

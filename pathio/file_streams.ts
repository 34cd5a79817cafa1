/**
 * Web Streams over a {@linkcode FileHandle}: {@linkcode fileReadable} for
 * downloads and {@linkcode fileWritable} for uploads.
 *
 * @module
 */

import { AbortedError, PathIOError } from "../streams/errors.ts";
import type { FileHandle } from "./path_io.ts";
import { toPathIOError } from "./path_io_error.ts";

/** Default read size of {@linkcode fileReadable}. */
export const DEFAULT_FILE_CHUNK_SIZE = 64 * 1024;

/** Options of {@linkcode fileReadable}. */
export interface FileReadableOptions {
  /** Bytes per read, and the largest chunk produced (default 64 KiB). */
  chunkSize?: number;
  /** Stops reading: the stream errors with kind `"aborted"` and the handle is closed. */
  signal?: AbortSignal;
  /** Read at most this many bytes, then end (default: to the end of the file). */
  limit?: number;
}

/** Options of {@linkcode fileWritable}. */
export interface FileWritableOptions {
  /** Stops writing: the stream errors with kind `"aborted"` and the handle is aborted. */
  signal?: AbortSignal;
}

/**
 * A readable stream of the file from the handle's position to its end.
 *
 * - Each chunk is a fresh buffer that nobody else writes to, safe to hand to
 *   a socket.
 * - Pull-based: the file is read only as the consumer asks, at most one chunk
 *   ahead, so memory stays bounded whatever the file's size.
 * - The handle is closed at the end, on `cancel()` and on any error; failures
 *   surface as {@linkcode PathIOError}.
 *
 * @example
 * ```ts
 * import { fileReadable, MemoryPathIO } from "@ftpkit/ftp/pathio";
 * const io = new MemoryPathIO();
 * const handle = await io.open("/a.txt", "write");
 * await handle.write(new TextEncoder().encode("hi"));
 * await handle.close();
 * const text = await new Response(fileReadable(await io.open("/a.txt", "read"))).text();
 * ```
 *
 * @param handle An open handle (it is owned by the stream from now on).
 * @param options Chunk size and abort signal.
 */
export function fileReadable(
  handle: FileHandle,
  options: FileReadableOptions = {},
): ReadableStream<Uint8Array> {
  const chunkSize = options.chunkSize ?? DEFAULT_FILE_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
    throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  }
  const { signal } = options;
  let left = options.limit ?? Infinity;
  if (!(left >= 0)) throw new RangeError(`limit must be >= 0, got ${left}`);
  let closed = false;
  const release = async () => {
    if (closed) return;
    closed = true;
    signal?.removeEventListener("abort", onAbort);
    await handle.close();
  };
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  const onAbort = () => {
    const error = abortedError(signal!, "read");
    // Erroring first wakes a waiting reader; the handle then closes in the background.
    try {
      controllerRef?.error(error);
    } catch {
      // The stream is already closed or errored.
    }
    void release().catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      if (closed) return;
      let n: number | null = null;
      const chunk = new Uint8Array(Math.min(chunkSize, left));
      try {
        if (left > 0) n = await handle.read(chunk);
      } catch (err) {
        await release().catch(() => {});
        throw toPathIOError(err, "read");
      }
      if (closed) return;
      if (n === null) {
        await release().catch((err) => {
          throw toPathIOError(err, "close");
        });
        controller.close();
        return;
      }
      left -= n;
      if (n > 0) controller.enqueue(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
    },
    async cancel() {
      await release();
    },
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}

/**
 * A writable stream into the handle.
 *
 * - `close()` commits through `handle.close()` (an atomic upload replaces its
 *   target only then);
 * - `abort()`, a failed write or `signal` discard through `handle.abort()`;
 * - failures surface as {@linkcode PathIOError}.
 *
 * Each chunk is written completely before the next is taken, so the stream's
 * backpressure bounds memory.
 *
 * @example
 * ```ts
 * import { fileWritable, MemoryPathIO } from "@ftpkit/ftp/pathio";
 * const io = new MemoryPathIO();
 * await new Blob(["hello"]).stream().pipeTo(fileWritable(await io.open("/a.txt", "write")));
 * ```
 *
 * @param handle A handle opened for writing (owned by the stream from now on).
 * @param options Abort signal.
 */
export function fileWritable(
  handle: FileHandle,
  options: FileWritableOptions = {},
): WritableStream<Uint8Array> {
  const { signal } = options;
  let finished = false;
  const discard = async () => {
    if (finished) return;
    finished = true;
    signal?.removeEventListener("abort", onAbort);
    await handle.abort();
  };
  let controllerRef: WritableStreamDefaultController | undefined;
  const onAbort = () => {
    controllerRef?.error(abortedError(signal!, "write"));
    void discard().catch(() => {});
  };
  return new WritableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    },
    async write(chunk) {
      if (finished) throw abortedError(signal, "write");
      try {
        await handle.write(chunk);
      } catch (err) {
        await discard().catch(() => {});
        throw toPathIOError(err, "write");
      }
    },
    async close() {
      if (finished) throw abortedError(signal, "close");
      finished = true;
      signal?.removeEventListener("abort", onAbort);
      try {
        await handle.close();
      } catch (err) {
        throw toPathIOError(err, "close");
      }
    },
    async abort() {
      await discard();
    },
  }, new CountQueuingStrategy({ highWaterMark: 1 }));
}

function abortedError(signal: AbortSignal | undefined, what: string): PathIOError {
  const reason = signal?.reason;
  if (reason instanceof PathIOError) return reason;
  return new PathIOError(`${what} aborted`, {
    kind: "aborted",
    cause: reason instanceof Error
      ? reason
      : new AbortedError(`${what} aborted`, { cause: reason }),
  });
}

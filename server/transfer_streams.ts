/**
 * Moving bytes between a file and a data connection: pumps with
 * backpressure, a stall timeout and cancellation, and no per-chunk timers
 * (one watchdog per transfer checks for progress).
 *
 * @module
 */

import type { FileHandle } from "../pathio/path_io.ts";
import { abortReason } from "../streams/buffered_reader.ts";
import { FtpTimeoutError } from "../streams/errors.ts";
import type { Throttle } from "../streams/throttle.ts";

/** Options of {@linkcode pumpStream}. */
export interface PumpOptions {
  /** Cancels the transfer. */
  signal?: AbortSignal;
  /** Fail when no read or write makes progress for this long. */
  stallTimeoutMs?: number | null;
  /** Sees every chunk before it is written (counting, hashing). */
  onChunk?: (chunk: Uint8Array) => void;
}

/** Options of {@linkcode pumpFileToStream} and {@linkcode pumpStreamToFile}. */
export interface FilePumpOptions extends PumpOptions {
  /**
   * Bytes per file read (downloads) or largest file write (uploads), asked
   * before each one, so a transfer adapts while others start and end.
   */
  chunkSize: () => number;
  /** Limits that must all allow each chunk (speed limits; `limit: null` ones are skipped). */
  throttles?: readonly Throttle[];
  /** Bytes the file is expected to have from the handle's position (sizes the first reads). */
  expectedSize?: number;
  /**
   * Downloads: how many file reads may be done or running ahead of the
   * chunk being sent, asked after each chunk (default 1).
   */
  readAhead?: () => number;
}

/**
 * Copy `source` into `sink` one chunk at a time, awaiting each write
 * (backpressure), then close `sink`. On failure both ends are cancelled and
 * the error is rethrown. Returns the number of bytes copied.
 *
 * @example
 * ```ts
 * import { pumpStream } from "@ftpkit/ftp/server";
 * const bytes = await pumpStream(new Blob(["abc"]).stream(), new WritableStream());
 * console.log(bytes); // 3
 * ```
 */
export async function pumpStream(
  source: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
  options: PumpOptions = {},
): Promise<number> {
  const guard = new TransferGuard(options.signal, options.stallTimeoutMs);
  const reader = source.getReader();
  const writer = sink.getWriter();
  let total = 0;
  try {
    while (true) {
      const { done, value } = await guard.wait(reader.read());
      if (done) break;
      options.onChunk?.(value);
      await guard.wait(writer.write(value));
      total += value.byteLength;
    }
    await guard.wait(writer.close());
    return total;
  } catch (err) {
    reader.cancel(err).catch(() => {});
    writer.abort(err).catch(() => {});
    throw err;
  } finally {
    guard.dispose();
  }
}

/**
 * Send a file: read `handle` from its position to the end into `sink`, then
 * close `sink`. File reads run one after another but ahead of the socket:
 * while a chunk is being written, up to `readAhead()` further chunks are
 * read (or already wait), each into a fresh buffer of `chunkSize()` bytes
 * (the sink keeps the chunks it was given). The handle is closed in every
 * case. Returns the number of bytes sent.
 *
 * @example
 * ```ts
 * import { MemoryPathIO } from "@ftpkit/ftp/pathio";
 * import { pumpFileToStream } from "@ftpkit/ftp/server";
 * const io = new MemoryPathIO();
 * const out = await io.open("/a.txt", "write");
 * await out.write(new TextEncoder().encode("hello"));
 * await out.close();
 * const bytes = await pumpFileToStream(await io.open("/a.txt", "read"), new WritableStream(), {
 *   chunkSize: () => 64 * 1024,
 * });
 * console.log(bytes); // 5
 * ```
 */
export async function pumpFileToStream(
  handle: FileHandle,
  sink: WritableStream<Uint8Array>,
  options: FilePumpOptions,
): Promise<number> {
  const { signal, onChunk, throttles } = options;
  const guard = new TransferGuard(signal, options.stallTimeoutMs);
  const writer = sink.getWriter();
  // Reads are sized to what is left (+1 to see the end), so small files get small buffers.
  let expected = options.expectedSize ?? Infinity;
  let ended = false;
  const read = async (): Promise<Uint8Array | null> => {
    if (ended) return null;
    const size = chunkFor(options.chunkSize(), throttles, expected + 1);
    const buffer = new Uint8Array(size);
    let n: number | null;
    try {
      n = await handle.read(buffer);
    } catch (err) {
      ended = true;
      throw err;
    }
    if (n === null) {
      ended = true;
      return null;
    }
    expected -= n;
    // All the expected bytes came and the read stopped short: that is the end
    // of the file, no need to ask again.
    if (n < size && expected <= 0) ended = true;
    return n === size ? buffer : buffer.subarray(0, n);
  };
  // Reads in order, each starting when the previous one has settled (a
  // handle has one position); `lastRead` settles after all of them.
  const queued: Promise<Uint8Array | null>[] = [];
  let lastRead: Promise<unknown> = Promise.resolve();
  const fillQueue = () => {
    const depth = Math.max(1, Math.floor(options.readAhead?.() ?? 1));
    while (!ended && queued.length < depth) {
      const next = lastRead.then(read);
      lastRead = next.catch(() => {});
      queued.push(next);
    }
  };
  fillQueue();
  let total = 0;
  try {
    while (true) {
      const next = queued.shift();
      const chunk = next ? await guard.wait(next) : null;
      if (chunk === null) break;
      fillQueue();
      guard.progress();
      const limited = consumeAll(throttles, chunk.byteLength, signal);
      if (limited) await guard.wait(limited);
      onChunk?.(chunk);
      await guard.wait(writer.write(chunk));
      guard.progress();
      total += chunk.byteLength;
    }
    // Nothing was written to the file, so closing it can fail only harmlessly:
    // it closes in the background while the data connection sends its FIN.
    handle.close().catch(() => {});
    await guard.wait(writer.close());
    return total;
  } catch (err) {
    ended = true;
    for (const q of queued) q.catch(() => {});
    writer.abort(err).catch(() => {});
    // Reads may still be running: close the handle once they have settled.
    lastRead.then(() => handle.close()).catch(() => {});
    throw err;
  } finally {
    guard.dispose();
  }
}

/**
 * Receive a file: write `source` into `handle` until the end of the stream,
 * then commit with `handle.close()`. Reading goes on while a file write
 * runs; what arrives meanwhile is joined into the next write (at most
 * `chunkSize()` bytes wait), so a fast disk gets the chunks as they come and
 * a slow one gets fewer, larger writes. A byte stream (`type: "bytes"`, as
 * Deno's sockets offer) is read with a BYOB reader into two buffers used in
 * turn, one filling while the other is written, so an upload of any size
 * allocates nothing more. On failure the source is cancelled,
 * the handle discarded with `abort()` and the error rethrown. Returns the
 * number of bytes received.
 *
 * @example
 * ```ts
 * import { MemoryPathIO } from "@ftpkit/ftp/pathio";
 * import { pumpStreamToFile } from "@ftpkit/ftp/server";
 * const io = new MemoryPathIO();
 * const bytes = await pumpStreamToFile(new Blob(["hello"]).stream(), await io.open("/a.txt", "write"), {
 *   chunkSize: () => 64 * 1024,
 * });
 * console.log(bytes); // 5
 * ```
 */
export async function pumpStreamToFile(
  source: ReadableStream<Uint8Array>,
  handle: FileHandle,
  options: FilePumpOptions,
): Promise<number> {
  const byob = byobReader(source);
  if (byob) return await receiveIntoTwoBuffers(byob, handle, options);
  const { signal, onChunk, throttles } = options;
  const guard = new TransferGuard(signal, options.stallTimeoutMs);
  const reader = source.getReader();
  let batch: Uint8Array[] = [];
  let batchBytes = 0;
  let writing: Promise<void> | null = null;
  const writeBatches = async () => {
    while (batchBytes > 0) {
      const data = joinChunks(batch, batchBytes);
      batch = [];
      batchBytes = 0;
      await handle.write(data);
      guard.progress();
    }
  };
  const startWriting = () => {
    const running = writeBatches().then(
      () => {
        writing = null;
      },
      (err) => {
        // Wakes the reading side, which then fails with this error.
        guard.fail(err);
        throw err;
      },
    );
    running.catch(() => {});
    writing = running;
  };
  let total = 0;
  try {
    while (true) {
      const { done, value } = await guard.wait(reader.read());
      if (done) break;
      guard.progress();
      const limited = consumeAll(throttles, value.byteLength, signal);
      if (limited) await guard.wait(limited);
      onChunk?.(value);
      total += value.byteLength;
      batch.push(value);
      batchBytes += value.byteLength;
      if (writing === null) startWriting();
      else if (batchBytes >= chunkFor(options.chunkSize(), throttles, Infinity)) {
        await guard.wait(writing);
      }
    }
    if (writing !== null) await guard.wait(writing);
    if (batchBytes > 0) await guard.wait(writeBatches());
    await guard.wait(handle.close());
    return total;
  } catch (err) {
    reader.cancel(err).catch(() => {});
    const pending: Promise<void> = writing ?? Promise.resolve();
    pending.then(() => {}, () => {}).then(() => handle.abort()).catch(() => {});
    throw err;
  } finally {
    guard.dispose();
  }
}

/** A BYOB reader when `source` is a byte stream, else `null` (and `source` stays unlocked). */
function byobReader(source: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return source.getReader({ mode: "byob" });
  } catch {
    return null;
  }
}

/**
 * {@linkcode pumpStreamToFile} over a BYOB reader: reads fill one buffer
 * while the other is being written to the file. A file write starts
 * whenever none is running; reading waits only when its buffer is full.
 */
async function receiveIntoTwoBuffers(
  reader: ReadableStreamBYOBReader,
  handle: FileHandle,
  options: FilePumpOptions,
): Promise<number> {
  const { signal, onChunk, throttles } = options;
  const guard = new TransferGuard(signal, options.stallTimeoutMs);
  // Buffers start small (small files stay cheap) and double, up to
  // `chunkSize()`, each time reading had to wait for a full buffer's write.
  let size = Math.max(1, Math.min(INITIAL_UPLOAD_BUFFER, options.chunkSize()));
  let current = new Uint8Array(size);
  let filled = 0;
  // Exactly one of these holds the other buffer: it is spare, or being written.
  let spare: Uint8Array<ArrayBuffer> | null = new Uint8Array(size);
  let writing: Promise<void> | null = null;
  const startWriting = () => {
    const written = current;
    const running = handle.write(written.subarray(0, filled)).then(
      () => {
        guard.progress();
        spare = written.byteLength < size ? new Uint8Array(size) : written;
        writing = null;
      },
      (err) => {
        guard.fail(err);
        throw err;
      },
    );
    running.catch(() => {});
    writing = running;
    current = spare!;
    spare = null;
    filled = 0;
  };
  let total = 0;
  try {
    while (true) {
      if (filled === current.byteLength && writing !== null) {
        size = Math.max(size, Math.min(size * 2, options.chunkSize()));
        await guard.wait(writing);
      }
      if (filled === current.byteLength) startWriting();
      const room = chunkFor(current.byteLength - filled, throttles, Infinity);
      const { done, value } = await guard.wait(
        reader.read(current.subarray(filled, filled + room)),
      );
      // The read took the buffer over and hands it back in `value`.
      if (value) current = new Uint8Array(value.buffer);
      if (done) break;
      guard.progress();
      const limited = consumeAll(throttles, value.byteLength, signal);
      if (limited) await guard.wait(limited);
      onChunk?.(value);
      total += value.byteLength;
      filled += value.byteLength;
      if (writing === null) startWriting();
    }
    if (writing !== null) await guard.wait(writing);
    if (filled > 0) await guard.wait(handle.write(current.subarray(0, filled)));
    await guard.wait(handle.close());
    return total;
  } catch (err) {
    reader.cancel(err).catch(() => {});
    const pending: Promise<void> = writing ?? Promise.resolve();
    pending.then(() => {}, () => {}).then(() => handle.abort()).catch(() => {});
    throw err;
  } finally {
    guard.dispose();
  }
}

/** First buffer size of an upload read with BYOB, bytes. */
const INITIAL_UPLOAD_BUFFER = 64 * 1024;

/** Smallest chunk when a speed limit applies, bytes. */
const MIN_THROTTLED_CHUNK = 1024;

/**
 * The chunk size to use now: `base`, at most `left` bytes, and, under a
 * speed limit, no more than 50 ms worth of the tightest limit (so limited
 * transfers stay smooth).
 */
function chunkFor(base: number, throttles: readonly Throttle[] | undefined, left: number): number {
  let size = Math.min(base, left);
  if (throttles) {
    for (const t of throttles) {
      if (t.limit !== null) size = Math.min(size, Math.max(MIN_THROTTLED_CHUNK, t.limit / 20));
    }
  }
  return Math.max(1, Math.floor(size));
}

/** The wait the speed limits impose on `bytes`, or `null` when none is set. */
function consumeAll(
  throttles: readonly Throttle[] | undefined,
  bytes: number,
  signal: AbortSignal | undefined,
): Promise<unknown> | null {
  if (!throttles) return null;
  let waits: Promise<void>[] | null = null;
  for (const t of throttles) if (t.limit !== null) (waits ??= []).push(t.consume(bytes, signal));
  return waits && Promise.all(waits);
}

function joinChunks(chunks: Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Ends the waits of one transfer when its signal fires, when an operation
 * fails elsewhere ({@linkcode TransferGuard.fail}), or when nothing made
 * progress for `stallTimeoutMs`. One timer per transfer, re-armed only when
 * it fires, instead of one per chunk.
 */
class TransferGuard {
  readonly #signal?: AbortSignal;
  readonly #timeoutMs: number;
  readonly #waiting = new Set<(reason: unknown) => void>();
  #failure: { reason: unknown } | null = null;
  #lastProgress = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = () => this.fail(abortReason(this.#signal!, "transfer"));

  constructor(signal: AbortSignal | undefined, stallTimeoutMs: number | null | undefined) {
    this.#signal = signal;
    this.#timeoutMs = stallTimeoutMs && stallTimeoutMs > 0 && Number.isFinite(stallTimeoutMs)
      ? stallTimeoutMs
      : 0;
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (this.#timeoutMs > 0) {
      this.#lastProgress = performance.now();
      this.#arm(this.#timeoutMs);
    }
  }

  /** Record that a read or write finished. */
  progress(): void {
    if (this.#timeoutMs > 0) this.#lastProgress = performance.now();
  }

  /** `promise`, or the failure if one comes first. `promise` always gets a handler. */
  wait<T>(promise: Promise<T>): Promise<T> {
    if (this.#failure) {
      promise.catch(() => {});
      return Promise.reject(this.#failure.reason);
    }
    if (!this.#signal && this.#timeoutMs === 0) return promise;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      promise.then(
        (value) => {
          this.#waiting.delete(reject);
          resolve(value);
        },
        (err) => {
          this.#waiting.delete(reject);
          reject(err);
        },
      );
    });
  }

  /** Fail every current and later wait with `reason` (the first reason wins). */
  fail(reason: unknown): void {
    if (this.#failure) return;
    this.#failure = { reason };
    for (const reject of this.#waiting) reject(reason);
    this.#waiting.clear();
  }

  /** Stop the timer and forget the signal. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      const idle = performance.now() - this.#lastProgress;
      if (idle >= this.#timeoutMs) this.fail(new FtpTimeoutError("transfer", this.#timeoutMs));
      else this.#arm(this.#timeoutMs - idle);
    }, ms);
  }
}

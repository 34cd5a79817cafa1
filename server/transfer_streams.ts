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
import { byobReaderOf } from "../streams/byob.ts";
import type { Throttle } from "../streams/throttle.ts";
import type { BufferLender } from "./transfer_budget.ts";

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
  /**
   * Lends the buffers (a loan of a server's `TransferBudget`), so they are
   * counted against its memory and reused instead of allocated per chunk.
   * A download gives a chunk's buffer back once the sink's `write()` has
   * resolved: pass a lender only with a sink that keeps no chunk after that
   * (as the writable of a `Connection` promises), never with a
   * `TransformStream` or a collecting `WritableStream`. Without one, every
   * download chunk gets a fresh buffer.
   */
  buffers?: BufferLender;
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
 * read (or already wait), each of `chunkSize()` bytes. With a `buffers`
 * lender a written chunk's buffer goes back to it and is read into again,
 * so a download of any size uses a few buffers; otherwise every chunk gets
 * a fresh one (the sink may keep them). The handle is closed in every case.
 * Returns the number of bytes sent.
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
  const lender = options.buffers ?? FRESH_BUFFERS;
  // Reads are sized to what is left (+1 to see the end), so small files get small buffers.
  let expected = options.expectedSize ?? Infinity;
  let ended = false;
  const read = async (): Promise<Uint8Array | null> => {
    if (ended) return null;
    const size = chunkFor(options.chunkSize(), throttles, expected + 1);
    const lent = lender.take(size);
    const buffer = lent.byteLength === size ? lent : lent.subarray(0, size);
    let n: number | null;
    try {
      n = await handle.read(buffer);
    } catch (err) {
      ended = true;
      lender.give(lent);
      throw err;
    }
    if (n === null) {
      ended = true;
      lender.give(lent);
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
      if (options.buffers) {
        lender.give(new Uint8Array(chunk.buffer as ArrayBuffer, 0, chunk.buffer.byteLength));
      }
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
 * then commit with `handle.close()`. Two buffers are used in turn: one fills
 * from the socket while the other is written to the file, so reading goes on
 * during a file write, a fast disk gets the data as it comes and a slow one
 * gets fewer, larger writes, and an upload of any size allocates nothing
 * more. A byte stream (`type: "bytes"`, as Deno's sockets offer) is read with
 * a BYOB reader straight into the buffers; other streams' chunks are copied
 * in. `handle.write()` must not keep the buffer it was given once it has
 * resolved. On failure the source is cancelled, the handle discarded with
 * `abort()` and the error rethrown. Returns the number of bytes received.
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
  const { signal, onChunk, throttles } = options;
  const guard = new TransferGuard(signal, options.stallTimeoutMs);
  const input = bufferFiller(source);
  // Buffers start small (small files stay cheap) and double, up to
  // `chunkSize()`, each time reading had to wait for a full buffer's write.
  const lender = options.buffers ?? FRESH_BUFFERS;
  let size = Math.max(1, Math.min(INITIAL_UPLOAD_BUFFER, options.chunkSize()));
  let current = lender.take(size);
  let filled = 0;
  // Exactly one of these holds the other buffer: it is spare, or being written.
  let spare: Uint8Array<ArrayBuffer> | null = lender.take(size);
  let writing: Promise<void> | null = null;
  const startWriting = () => {
    const written = current;
    const running = handle.write(written.subarray(0, filled)).then(
      () => {
        guard.progress();
        if (written.byteLength < size) {
          lender.give(written);
          spare = lender.take(size);
        } else spare = written;
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
      const got = await guard.wait(input.fill(current, filled, room));
      current = got.buffer;
      if (got.bytes === null) break;
      const bytes = current.subarray(filled, filled + got.bytes);
      guard.progress();
      const limited = consumeAll(throttles, bytes.byteLength, signal);
      if (limited) await guard.wait(limited);
      onChunk?.(bytes);
      total += bytes.byteLength;
      filled += bytes.byteLength;
      if (writing === null) startWriting();
    }
    if (writing !== null) await guard.wait(writing);
    if (filled > 0) await guard.wait(handle.write(current.subarray(0, filled)));
    lender.give(current);
    if (spare) lender.give(spare);
    await guard.wait(handle.close());
    return total;
  } catch (err) {
    input.cancel(err);
    const pending: Promise<void> = writing ?? Promise.resolve();
    pending.then(() => {}, () => {}).then(() => handle.abort()).catch(() => {});
    throw err;
  } finally {
    guard.dispose();
  }
}

/** Fills part of a buffer from a stream (see {@linkcode bufferFiller}). */
interface BufferFiller {
  /**
   * Put between 1 and `length` bytes into `buffer` at `offset`. Resolves
   * with the buffer to go on with (a BYOB read hands back a new view of the
   * same memory, also at the end) and the byte count, `null` at the end of
   * the stream.
   */
  fill(
    buffer: Uint8Array<ArrayBuffer>,
    offset: number,
    length: number,
  ): Promise<{ buffer: Uint8Array<ArrayBuffer>; bytes: number | null }>;
  /** Stop reading. */
  cancel(reason: unknown): void;
}

/**
 * A BYOB reader for a byte stream (straight into the buffer), else a default
 * reader whose chunks are copied in (a chunk larger than the room left is
 * split across fills).
 */
function bufferFiller(source: ReadableStream<Uint8Array>): BufferFiller {
  const byob = byobReaderOf(source);
  if (byob) {
    const reader = byob;
    return {
      async fill(buffer, offset, length) {
        const { done, value } = await reader.read(buffer.subarray(offset, offset + length));
        // The read took the buffer over and hands it back in `value`.
        const back = value ? new Uint8Array(value.buffer as ArrayBuffer) : buffer;
        return { buffer: back, bytes: done ? null : value.byteLength };
      },
      cancel: (reason) => void reader.cancel(reason).catch(() => {}),
    };
  }
  const reader = source.getReader();
  let rest: Uint8Array | null = null;
  return {
    async fill(buffer, offset, length) {
      if (rest === null) {
        const { done, value } = await reader.read();
        if (done) return { buffer, bytes: null };
        rest = value;
      }
      const bytes = Math.min(length, rest.byteLength);
      buffer.set(bytes === rest.byteLength ? rest : rest.subarray(0, bytes), offset);
      rest = bytes === rest.byteLength ? null : rest.subarray(bytes);
      return { buffer, bytes };
    },
    cancel: (reason) => void reader.cancel(reason).catch(() => {}),
  };
}

/** Allocates a buffer per `take`; `give` leaves it to the garbage collector. */
const FRESH_BUFFERS: BufferLender = {
  take: (size) => new Uint8Array(size),
  give: () => {},
};

/** First buffer size of an upload, bytes. */
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

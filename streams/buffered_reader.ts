/**
 * A buffered reader over a byte stream: lines with a length limit, exact
 * reads, and reads of "whatever is there", each honouring an `AbortSignal` and
 * a timeout.
 *
 * @module
 */

import {
  AbortedError,
  ConnectionClosedError,
  FtpTimeoutError,
  LineTooLongError,
} from "./errors.ts";
import { byobReaderOf } from "./byob.ts";

/** Per-call options of {@linkcode BufferedReader} reads. */
export interface ReadOptions {
  /** Cancels the wait (the bytes are not lost: a later read gets them). */
  signal?: AbortSignal;
  /** Reject with `FtpTimeoutError` after this many milliseconds. */
  timeoutMs?: number;
}

/** Options of {@linkcode BufferedReader}. */
export interface BufferedReaderOptions {
  /** Longest line accepted by `readLine`, in bytes, without its line ending (default 8192). */
  maxLineLength?: number;
  /**
   * Read a byte stream (`type: "bytes"`) into buffers of this many bytes of
   * our own (BYOB reads) instead of taking the chunks the stream allocates.
   * A reader waiting on a quiet connection then holds only this much, and
   * each read fills no more; other streams are read as usual.
   */
  readSize?: number;
  /**
   * The connection `stream` belongs to: a connection class found once to
   * offer no byte stream is not asked again (see {@linkcode byobReaderOf}).
   */
  owner?: object;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);

/**
 * Reads a `ReadableStream<Uint8Array>` through a buffer.
 *
 * @example
 * ```ts
 * import { BufferedReader } from "@ftpkit/ftp/streams";
 * const stream = new Blob(["220 hello\r\n331 pass\r\n"]).stream();
 * const reader = new BufferedReader(stream);
 * console.log(new TextDecoder().decode(await reader.readLine())); // "220 hello"
 * ```
 */
export class BufferedReader {
  #reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;
  /** Bytes per BYOB read, or 0 when reading chunks from a default reader. */
  #readSize = 0;
  #buffer: Uint8Array = EMPTY;
  #pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  #done = false;
  #maxLineLength: number;

  /**
   * Lock `stream` and read it through a buffer.
   *
   * @param stream The stream to read; it stays locked until {@linkcode BufferedReader.release}.
   * @param options Limits.
   */
  constructor(stream: ReadableStream<Uint8Array>, options: BufferedReaderOptions = {}) {
    const { readSize, owner } = options;
    const byob = readSize && readSize > 0 ? byobReaderOf(stream, owner) : null;
    this.#reader = byob ?? stream.getReader();
    if (byob) this.#readSize = readSize!;
    this.#maxLineLength = options.maxLineLength ?? 8192;
  }

  /** Bytes read from the stream but not yet returned. */
  get buffered(): number {
    return this.#buffer.byteLength;
  }

  /** Whether reads go into buffers of our own (`readSize` was set and the stream is a byte stream). */
  get ownBuffers(): boolean {
    return this.#readSize > 0;
  }

  /** Whether the stream has ended and the buffer is empty. */
  get ended(): boolean {
    return this.#done && this.#buffer.byteLength === 0;
  }

  /**
   * The next line without its `\n` or `\r\n`, or `null` at the end of the
   * stream. A final line without line ending is returned as is.
   * @throws {LineTooLongError} when no line ending comes within `maxLineLength` bytes.
   */
  async readLine(options: ReadOptions = {}): Promise<Uint8Array | null> {
    let scanFrom = 0;
    while (true) {
      const index = this.#buffer.indexOf(LF, scanFrom);
      if (index >= 0) {
        let end = index;
        if (end > 0 && this.#buffer[end - 1] === CR) end--;
        if (end > this.#maxLineLength) throw new LineTooLongError(this.#maxLineLength);
        const line = this.#buffer.slice(0, end);
        this.#consume(index + 1);
        return line;
      }
      // +1 leaves room for the CR of a CRLF split across chunks.
      if (this.#buffer.byteLength > this.#maxLineLength + 1) {
        throw new LineTooLongError(this.#maxLineLength);
      }
      scanFrom = this.#buffer.byteLength;
      if (!(await this.#fill(options))) {
        if (this.#buffer.byteLength === 0) return null;
        const rest = this.#buffer;
        this.#buffer = EMPTY;
        return rest;
      }
    }
  }

  /**
   * Exactly `n` bytes.
   * @throws {ConnectionClosedError} when the stream ends first.
   */
  async readExactly(n: number, options: ReadOptions = {}): Promise<Uint8Array> {
    while (this.#buffer.byteLength < n) {
      if (!(await this.#fill(options))) {
        throw new ConnectionClosedError(
          `Stream ended after ${this.#buffer.byteLength} of ${n} bytes`,
        );
      }
    }
    const out = this.#buffer.slice(0, n);
    this.#consume(n);
    return out;
  }

  /**
   * Between 1 and `max` bytes, as soon as any are available, or `null` at the
   * end of the stream.
   */
  readUpTo(max: number, options: ReadOptions = {}): Promise<Uint8Array | null> {
    // Not an async function: a reader waiting here (an idle control
    // connection) then holds no suspended frame of its own.
    if (this.#buffer.byteLength > 0) return Promise.resolve(this.#take(max));
    return this.#fill(options).then((filled) => filled ? this.#take(max) : null);
  }

  #take(max: number): Uint8Array {
    const n = Math.min(max, this.#buffer.byteLength);
    const out = this.#buffer.subarray(0, n);
    this.#consume(n);
    return out;
  }

  /**
   * Give the stream back: releases the lock and returns the bytes that were
   * buffered but not read (for `AUTH TLS`, anything here was sent in plain text
   * before the handshake and must be refused). A read still in flight keeps
   * the lock until it settles, so call this only between reads.
   */
  release(): Uint8Array {
    const rest = this.#buffer;
    this.#buffer = EMPTY;
    this.#reader.releaseLock();
    return rest;
  }

  /** Cancel the underlying stream. */
  async cancel(reason?: unknown): Promise<void> {
    this.#buffer = EMPTY;
    await this.#reader.cancel(reason).catch(() => {});
  }

  /** Drop `n` bytes from the front; an emptied buffer lets go of its memory. */
  #consume(n: number): void {
    this.#buffer = n >= this.#buffer.byteLength ? EMPTY : this.#buffer.subarray(n);
  }

  /** Read one more chunk into the buffer; `false` at the end of the stream. */
  #fill(options: ReadOptions): Promise<boolean> {
    if (this.#done) return Promise.resolve(false);
    this.#pending ??= this.#readSize > 0
      ? (this.#reader as ReadableStreamBYOBReader).read(new Uint8Array(this.#readSize))
      : (this.#reader as ReadableStreamDefaultReader<Uint8Array>).read();
    // A timeout leaves the read pending: the next fill takes its result.
    return waitFor(this.#pending, options, "read").then((result) => this.#append(result));
  }

  #append(result: ReadableStreamReadResult<Uint8Array>): boolean {
    this.#pending = null;
    if (result.done) {
      this.#done = true;
      return false;
    }
    const chunk = result.value!;
    if (chunk.byteLength === 0) return true;
    if (this.#buffer.byteLength === 0) {
      this.#buffer = chunk;
    } else {
      const joined = new Uint8Array(this.#buffer.byteLength + chunk.byteLength);
      joined.set(this.#buffer, 0);
      joined.set(chunk, this.#buffer.byteLength);
      this.#buffer = joined;
    }
    return true;
  }
}

/**
 * Wait for `promise`, giving up on `signal` or after `timeoutMs`.
 *
 * @example
 * ```ts
 * import { waitFor } from "@ftpkit/ftp/streams";
 * const value = await waitFor(Promise.resolve(42), { timeoutMs: 1000 }, "answer");
 * ```
 *
 * @param promise What to wait for. It is not cancelled on timeout.
 * @param options Signal and timeout.
 * @param what Named in the timeout error.
 * @throws {FtpTimeoutError} on timeout; {AbortedError} on abort.
 */
export function waitFor<T>(promise: Promise<T>, options: ReadOptions, what: string): Promise<T> {
  const { signal, timeoutMs } = options;
  if (!signal && (timeoutMs === undefined || timeoutMs <= 0 || !Number.isFinite(timeoutMs))) {
    return promise;
  }
  if (signal?.aborted) {
    promise.catch(() => {}); // nobody else will look at it: no unhandled rejection
    return Promise.reject(abortReason(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      cleanup();
      reject(abortReason(signal!, what));
    };
    const cleanup = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    if (timeoutMs !== undefined && timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => {
        cleanup();
        reject(new FtpTimeoutError(what, timeoutMs));
      }, timeoutMs);
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (err) => {
        cleanup();
        reject(err);
      },
    );
  });
}

/** The error to throw for an aborted `signal`: its reason if that is an Error. */
export function abortReason(signal: AbortSignal, what: string): Error {
  const reason = signal.reason;
  if (reason instanceof AbortedError || reason instanceof FtpTimeoutError) return reason;
  return new AbortedError(`${what} aborted`, { cause: reason });
}

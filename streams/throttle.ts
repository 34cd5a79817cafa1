/**
 * Token-bucket speed limits, shareable by any number of streams and
 * changeable while they run.
 *
 * @module
 */

import { abortReason } from "./buffered_reader.ts";

/** Options of {@linkcode Throttle}. */
export interface ThrottleOptions {
  /**
   * How many seconds' worth of bytes may pass in a burst after a pause
   * (default 0.05). Small values keep the rate even over short windows.
   */
  burstSeconds?: number;
}

/**
 * A speed limit in bytes per second. Every consumer calls
 * {@linkcode Throttle.consume} before passing bytes on; consumers that share a
 * `Throttle` share its limit (one limit for a whole server, a user, or a
 * connection). `limit: null` means unlimited.
 *
 * @example
 * ```ts
 * import { Throttle } from "@ftpkit/ftp/streams";
 * const throttle = new Throttle(1024 * 1024); // 1 MiB/s
 * await throttle.consume(64 * 1024);
 * throttle.limit = null; // lift it while streams are running
 * ```
 */
export class Throttle {
  #limit: number | null;
  #burstSeconds: number;
  #tokens = 0;
  #stamp = 0;

  /**
   * Create a limit.
   *
   * @param limit Bytes per second, or `null` for no limit.
   * @param options Burst size.
   */
  constructor(limit: number | null = null, options: ThrottleOptions = {}) {
    this.#limit = checkLimit(limit);
    this.#burstSeconds = options.burstSeconds ?? 0.05;
    this.#stamp = now();
  }

  /** The limit in bytes per second, or `null` when unlimited. */
  get limit(): number | null {
    return this.#limit;
  }

  /** Change the limit; waits in progress adapt at their next chunk. */
  set limit(value: number | null) {
    this.#refill();
    this.#limit = checkLimit(value);
    if (this.#limit === null) this.#tokens = 0;
  }

  /**
   * Take `bytes` from the bucket, waiting as long as the limit requires.
   * Bytes beyond the available tokens are borrowed, and the wait pays them
   * back, so chunks larger than one second's worth still work.
   */
  async consume(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.#limit === null || bytes <= 0) return;
    this.#refill();
    this.#tokens -= bytes;
    if (this.#tokens >= 0) return;
    const waitMs = (-this.#tokens / this.#limit) * 1000;
    await sleep(waitMs, signal);
  }

  #refill(): void {
    const t = now();
    const elapsed = (t - this.#stamp) / 1000;
    this.#stamp = t;
    if (this.#limit === null) return;
    const capacity = this.#limit * this.#burstSeconds;
    this.#tokens = Math.min(capacity, this.#tokens + elapsed * this.#limit);
  }
}

/**
 * A pair of throttles for the two directions of a stream, as in aioftp.
 *
 * @example
 * ```ts
 * import { StreamThrottle } from "@ftpkit/ftp/streams";
 * const perConnection = StreamThrottle.fromLimits(512 * 1024, null);
 * await perConnection.read.consume(1024);
 * ```
 */
export class StreamThrottle {
  /** Limits bytes received. */
  readonly read: Throttle;
  /** Limits bytes sent. */
  readonly write: Throttle;

  /**
   * Pair two throttles.
   *
   * @param read Throttle for incoming bytes.
   * @param write Throttle for outgoing bytes.
   */
  constructor(read: Throttle = new Throttle(), write: Throttle = new Throttle()) {
    this.read = read;
    this.write = write;
  }

  /** Build both throttles from limits in bytes per second (`null`: none). */
  static fromLimits(readLimit: number | null, writeLimit: number | null): StreamThrottle {
    return new StreamThrottle(new Throttle(readLimit), new Throttle(writeLimit));
  }
}

/**
 * A pass-through stream that holds every chunk until all `throttles` allow it.
 *
 * @example
 * ```ts
 * import { Throttle, throttleTransform } from "@ftpkit/ftp/streams";
 * const limited = new Blob(["data"]).stream()
 *   .pipeThrough(throttleTransform([new Throttle(1024 * 1024)]));
 * ```
 *
 * @param throttles Limits that must all allow each chunk (e.g. server, user, connection).
 * @param signal Cancels waiting.
 */
export function throttleTransform(
  throttles: readonly Throttle[],
  signal?: AbortSignal,
): TransformStream<Uint8Array, Uint8Array> {
  const active = () => throttles.filter((t) => t.limit !== null);
  return new TransformStream<Uint8Array, Uint8Array>(
    {
      async transform(chunk, controller) {
        const list = active();
        if (list.length) await Promise.all(list.map((t) => t.consume(chunk.byteLength, signal)));
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 1 },
    { highWaterMark: 0 },
  );
}

function checkLimit(limit: number | null): number | null {
  if (limit === null || limit === undefined || limit === Infinity) return null;
  if (typeof limit !== "number" || !(limit > 0)) {
    throw new RangeError(
      `A speed limit must be a positive number of bytes per second, got ${limit}`,
    );
  }
  return limit;
}

function now(): number {
  return performance.now();
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal, "throttle wait"));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!, "throttle wait"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

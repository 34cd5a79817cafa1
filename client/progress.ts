/**
 * Transfer progress reports.
 *
 * @module
 */

/** One progress report of a transfer. */
export interface TransferProgress {
  /** `"download"` or `"upload"`. */
  direction: "download" | "upload";
  /** The remote path. */
  path: string;
  /** Bytes moved so far in this transfer (a resumed transfer counts from its offset). */
  bytes: number;
  /** Expected size in bytes, when known. */
  total?: number;
  /** Average bytes per second since this transfer started. */
  bytesPerSecond: number;
  /** Whether this is the last report of the transfer. */
  done: boolean;
}

/** Receives {@linkcode TransferProgress} reports. */
export type ProgressCallback = (progress: TransferProgress) => void;

/**
 * Counts bytes and reports at most every `intervalMs` (and once at the end).
 *
 * @example
 * ```ts
 * import { ProgressReporter } from "@ftpkit/ftp";
 * const reporter = new ProgressReporter("download", "/a.bin", (p) => console.log(p.bytes), 1000);
 * reporter.add(512);
 * reporter.finish();
 * ```
 */
export class ProgressReporter {
  #direction: "download" | "upload";
  #path: string;
  #callback?: ProgressCallback;
  #intervalMs: number;
  #start = performance.now();
  #last = 0;
  #offset: number;
  #bytes = 0;
  #finished = false;
  /** Expected total bytes, when known. */
  total?: number;

  /**
   * A reporter for one transfer.
   *
   * @param direction Transfer direction.
   * @param path Remote path reported.
   * @param callback Receiver (nothing is computed without one).
   * @param total Expected size, when known.
   * @param offset Bytes already present (resumed transfers).
   * @param intervalMs Least time between two reports (default 100).
   */
  constructor(
    direction: "download" | "upload",
    path: string,
    callback?: ProgressCallback,
    total?: number,
    offset = 0,
    intervalMs = 100,
  ) {
    this.#direction = direction;
    this.#path = path;
    this.#callback = callback;
    this.total = total;
    this.#offset = offset;
    this.#intervalMs = intervalMs;
  }

  /** Bytes moved so far (including the resume offset). */
  get bytes(): number {
    return this.#offset + this.#bytes;
  }

  /** Count `n` more bytes. */
  add(n: number): void {
    this.#bytes += n;
    if (!this.#callback) return;
    const now = performance.now();
    if (now - this.#last >= this.#intervalMs) {
      this.#last = now;
      this.#report(false);
    }
  }

  /** Send the final report (once). */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#report(true);
  }

  #report(done: boolean): void {
    if (!this.#callback) return;
    const seconds = Math.max((performance.now() - this.#start) / 1000, 1e-3);
    this.#callback({
      direction: this.#direction,
      path: this.#path,
      bytes: this.bytes,
      total: this.total,
      bytesPerSecond: this.#bytes / seconds,
      done,
    });
  }
}

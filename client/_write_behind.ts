/**
 * {@linkcode WriteBehind}: writes a download's chunks to a local file while
 * the next ones arrive, joining the chunks that arrived meanwhile into one
 * write.
 *
 * @module
 */

/** Options of {@linkcode WriteBehind}. */
export interface WriteBehindOptions {
  /** Bytes joined into one write at most (default 256 KiB); larger chunks go alone. */
  batchBytes?: number;
  /** `push()` waits while this many bytes wait behind the write in flight (default 2 MiB). */
  maxPendingBytes?: number;
}

/**
 * Keeps one write in flight and gathers the chunks pushed meanwhile, so that
 * reading the network and writing the disk overlap, and a socket's small
 * chunks (64 KiB on Node) become few large writes. Memory stays bounded:
 * `push()` waits while `maxPendingBytes` are queued.
 *
 * A failed write is reported by the next `push()` or by `finish()`; nothing
 * is written after it.
 *
 * @example
 * ```ts
 * const chunks: Uint8Array[] = [];
 * const behind = new WriteBehind(async (data) => {
 *   chunks.push(data);
 * });
 * await behind.push(new Uint8Array(3));
 * await behind.push(new Uint8Array(5));
 * await behind.finish(); // every byte written, in order
 * ```
 */
export class WriteBehind {
  readonly #write: (data: Uint8Array) => Promise<void>;
  readonly #batchBytes: number;
  readonly #maxPendingBytes: number;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #running: Promise<void> | null = null;
  #onWritten: (() => void)[] = [];
  #failed = false;
  #error: unknown;

  /**
   * Wrap a write function.
   *
   * @param write Writes all of `data`; called once at a time, in order.
   * @param options Batch and queue sizes.
   */
  constructor(write: (data: Uint8Array) => Promise<void>, options: WriteBehindOptions = {}) {
    this.#write = write;
    this.#batchBytes = options.batchBytes ?? 256 * 1024;
    this.#maxPendingBytes = options.maxPendingBytes ?? 2 * 1024 * 1024;
  }

  /**
   * Queue `chunk` (which must not change afterwards) for writing. Resolves at
   * once unless too much is queued.
   * @throws the error of an earlier failed write.
   */
  async push(chunk: Uint8Array): Promise<void> {
    if (this.#failed) throw this.#error;
    if (chunk.byteLength === 0) return;
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.byteLength;
    this.#running ??= this.#run();
    while (this.#queuedBytes >= this.#maxPendingBytes && this.#running) {
      await new Promise<void>((resolve) => this.#onWritten.push(resolve));
    }
    if (this.#failed) throw this.#error;
  }

  /**
   * Wait until everything pushed is written.
   * @throws the error of a failed write.
   */
  async finish(): Promise<void> {
    while (this.#running) await this.#running;
    if (this.#failed) throw this.#error;
  }

  async #run(): Promise<void> {
    // Start after the caller has stored this run, so that clearing it below never comes first.
    await null;
    try {
      while (this.#queue.length > 0) {
        const data = this.#take();
        this.#wake(); // room in the queue while this write runs
        await this.#write(data);
      }
    } catch (err) {
      this.#failed = true;
      this.#error = err;
      this.#queue = [];
      this.#queuedBytes = 0;
    }
    // Cleared in the same step that saw the queue empty, so a chunk pushed
    // later always starts a new run.
    this.#running = null;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#onWritten;
    this.#onWritten = [];
    for (const resolve of waiters) resolve();
  }

  /** The next write: the first chunk, joined with those after it up to the batch size. */
  #take(): Uint8Array {
    const first = this.#queue[0];
    let count = 1;
    let bytes = first.byteLength;
    while (
      count < this.#queue.length && bytes + this.#queue[count].byteLength <= this.#batchBytes
    ) {
      bytes += this.#queue[count].byteLength;
      count++;
    }
    const parts = this.#queue.splice(0, count);
    this.#queuedBytes -= bytes;
    if (count === 1) return first;
    const data = new Uint8Array(bytes);
    let at = 0;
    for (const part of parts) {
      data.set(part, at);
      at += part.byteLength;
    }
    return data;
  }
}

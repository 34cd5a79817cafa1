/**
 * How large the chunks of a transfer may be, given how many transfers run.
 *
 * @module
 */

/** Smallest chunk a transfer is given, however many run. */
export const MIN_TRANSFER_CHUNK = 16 * 1024;

/**
 * Shares a memory budget between the running transfers of a server: one
 * transfer alone reads and writes in large chunks (few calls, high speed),
 * many at once use smaller ones, so the chunks in flight (about two per
 * transfer: one being read, one being written) stay within the budget.
 *
 * @example
 * ```ts
 * import { TransferBudget } from "@ftpkit/ftp/server";
 * const budget = new TransferBudget(16 * 1024 * 1024, 1024 * 1024);
 * const end = budget.begin();
 * console.log(budget.chunkSize()); // 1048576
 * end();
 * ```
 */
export class TransferBudget {
  /** Bytes all transfers' chunks may hold together. */
  readonly memory: number;
  /** Largest chunk. */
  readonly maxChunk: number;
  #active = 0;

  /**
   * A budget.
   * @param memory Bytes all transfers' chunks may hold together.
   * @param maxChunk Largest chunk of one transfer.
   */
  constructor(memory: number, maxChunk: number) {
    this.memory = memory;
    this.maxChunk = maxChunk;
  }

  /** Number of transfers running. */
  get active(): number {
    return this.#active;
  }

  /** Count a transfer as running; call the returned function (once) when it ends. */
  begin(): () => void {
    this.#active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#active--;
    };
  }

  /** The chunk size a transfer should use now (a multiple of 4 KiB unless `maxChunk` is smaller). */
  chunkSize(): number {
    const share = Math.floor(this.memory / (2 * Math.max(1, this.#active)) / 4096) * 4096;
    return Math.min(this.maxChunk, Math.max(MIN_TRANSFER_CHUNK, share));
  }
}

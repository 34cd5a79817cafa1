/**
 * How large the chunks of a transfer may be, given how many transfers run.
 *
 * @module
 */

/** Smallest chunk a transfer is given, however many run. */
export const MIN_TRANSFER_CHUNK = 16 * 1024;

/** Most file reads a download keeps ahead of the chunk it is sending. */
export const MAX_READ_AHEAD = 3;

/**
 * Shares a memory budget between the running transfers of a server: one
 * transfer alone reads and writes in large chunks (few calls, high speed),
 * many at once use smaller ones, so the chunks in flight (about two per
 * transfer: one being read, one being written) stay within the budget. What
 * is left over lets downloads read further ahead ({@linkcode TransferBudget.readAhead}).
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

  /**
   * How many file reads a download may keep ahead of the chunk it is
   * sending: as many `chunkSize()` chunks as the transfer's share of the
   * memory holds besides that one, between 1 and {@linkcode MAX_READ_AHEAD}.
   */
  readAhead(): number {
    const perTransfer = this.memory / Math.max(1, this.#active);
    const chunks = Math.floor(perTransfer / this.chunkSize());
    return Math.min(MAX_READ_AHEAD, Math.max(1, chunks - 1));
  }
}

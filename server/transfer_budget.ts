/**
 * The memory of the running transfers: how large their chunks may be, and
 * the buffers themselves, lent out and taken back.
 *
 * @module
 */

/** Smallest chunk a transfer is given, however many run. */
export const MIN_TRANSFER_CHUNK = 16 * 1024;

/** Most file reads a download keeps ahead of the chunk it is sending. */
export const MAX_READ_AHEAD = 3;

/** Where a transfer gets its buffers and gives them back (see {@linkcode TransferBudget.loan}). */
export interface BufferLender {
  /** A buffer of at least `size` bytes (contents undefined); use `subarray(0, size)`. */
  take(size: number): Uint8Array<ArrayBuffer>;
  /** Give back a buffer from `take`, once nothing refers to it any more. */
  give(buffer: Uint8Array<ArrayBuffer>): void;
}

/** The buffers of one transfer (see {@linkcode TransferBudget.loan}). */
export interface BufferLoan extends BufferLender {
  /**
   * End the loan: buffers not given back (a failed transfer may leave one
   * with a socket or a file write) stop counting against the budget and are
   * left to the garbage collector. Later `give` calls are ignored.
   */
  close(): void;
}

/**
 * Shares a memory budget between the running transfers of a server, and
 * lends them their buffers. One transfer alone reads and writes in large
 * chunks (few calls, high speed); many at once use smaller ones. Buffers lent
 * out are counted, so when transfers start faster than the early ones shrink
 * their chunks, the newcomers get small chunks until memory is given back:
 * the buffers in use stay within `memory` (plus one smallest chunk per
 * transfer). Returned buffers are kept for the next `take` of the same size
 * while lent and kept bytes stay within `memory`, so a download or upload of
 * any size allocates a few buffers, not one per chunk.
 *
 * @example
 * ```ts
 * import { TransferBudget } from "@ftpkit/ftp/server";
 * const budget = new TransferBudget(16 * 1024 * 1024, 1024 * 1024);
 * const end = budget.begin();
 * const loan = budget.loan();
 * const buffer = loan.take(budget.chunkSize());
 * console.log(buffer.byteLength); // 1048576
 * loan.give(buffer);
 * loan.close();
 * end();
 * ```
 */
export class TransferBudget {
  /** Bytes all transfers' buffers may hold together. */
  readonly memory: number;
  /** Largest chunk. */
  readonly maxChunk: number;
  #active = 0;
  #lent = 0;
  #kept = 0;
  /** Returned buffers by size. */
  readonly #pool = new Map<number, Uint8Array<ArrayBuffer>[]>();

  /**
   * A budget.
   * @param memory Bytes all transfers' buffers may hold together.
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

  /** Bytes lent out now. */
  get lent(): number {
    return this.#lent;
  }

  /** Count a transfer as running; call the returned function (once) when it ends. */
  begin(): () => void {
    this.#active++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#active--;
      if (this.#active === 0) this.#trim(0);
    };
  }

  /**
   * The chunk size a transfer should use now: its share of the memory (about
   * two chunks per transfer), no more than what is not lent out, rounded
   * down to a power of two, between {@linkcode MIN_TRANSFER_CHUNK} and
   * `maxChunk`.
   */
  chunkSize(): number {
    const share = this.memory / (2 * Math.max(1, this.#active));
    const free = this.memory - this.#lent;
    // Powers of two: few distinct sizes, so buffers given back fit later takes.
    const size = 2 ** Math.floor(Math.log2(Math.max(1, Math.min(share, free))));
    return Math.min(this.maxChunk, Math.max(MIN_TRANSFER_CHUNK, size));
  }

  /**
   * How many file reads a download may keep ahead of the chunk it is
   * sending: as many `chunkSize()` chunks as the transfer's share of the
   * memory (and what is not lent out) holds besides that one, between 1 and
   * {@linkcode MAX_READ_AHEAD}.
   */
  readAhead(): number {
    const perTransfer = this.memory / Math.max(1, this.#active);
    const free = this.memory - this.#lent;
    const chunks = Math.floor(Math.min(perTransfer, free) / this.chunkSize());
    return Math.min(MAX_READ_AHEAD, Math.max(1, chunks - 1));
  }

  /**
   * Lend buffers to one transfer: `take` hands out a buffer of the size
   * asked rounded up to a power of two, a kept one when there is one; `give` takes it back, kept for a
   * later `take` of its size while kept and lent bytes fit the memory, else
   * left to the garbage collector. Close the loan when the transfer ends.
   */
  loan(): BufferLoan {
    let out = 0;
    let closed = false;
    return {
      take: (size) => {
        const buffer = this.#take(size);
        out += buffer.byteLength;
        return buffer;
      },
      give: (buffer) => {
        if (closed) return;
        out -= buffer.byteLength;
        this.#give(buffer);
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.#lent = Math.max(0, this.#lent - out);
        out = 0;
      },
    };
  }

  #take(asked: number): Uint8Array<ArrayBuffer> {
    // Rounded up to a power of two (from 4 KiB): a kept buffer fits many sizes.
    const size = 2 ** Math.ceil(Math.log2(Math.max(4096, asked)));
    const buffer = this.#pool.get(size)?.pop();
    this.#lent += size;
    if (buffer) {
      this.#kept -= size;
      return buffer;
    }
    return new Uint8Array(size);
  }

  #give(buffer: Uint8Array<ArrayBuffer>): void {
    const size = buffer.byteLength;
    this.#lent = Math.max(0, this.#lent - size);
    // Make room by dropping kept buffers of sizes no transfer asks for now.
    if (this.#kept + this.#lent + size > this.memory) this.#trim(this.chunkSize());
    if (this.#kept + this.#lent + size > this.memory) return;
    let list = this.#pool.get(size);
    if (!list) this.#pool.set(size, list = []);
    list.push(buffer);
    this.#kept += size;
  }

  /** Drop the kept buffers of every size but `keep`. */
  #trim(keep: number): void {
    for (const [size, list] of this.#pool) {
      if (size === keep) continue;
      this.#kept -= size * list.length;
      this.#pool.delete(size);
    }
  }
}

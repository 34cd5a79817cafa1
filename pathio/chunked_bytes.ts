/**
 * {@linkcode ChunkedBytes}: growable file contents for the in-memory backend,
 * stored as fixed-size blocks so appending never copies what is already
 * there.
 *
 * @module
 */

/** Size of every block (a file's first block grows up to it). */
const BLOCK_SIZE = 256 * 1024;
/** Smallest allocation of a file's first block. */
const MIN_TAIL = 64;

/**
 * A byte array made of 256 KiB blocks. Writing at the end or in the middle
 * costs what is written; growth allocates one block at a time (the first
 * block starts small and doubles up to the block size), so a file of `n`
 * bytes holds at most `n` plus one block. Internal to the in-memory backend.
 */
export class ChunkedBytes {
  #blocks: Uint8Array[] = [];
  #size = 0;

  /** Number of bytes held. */
  get size(): number {
    return this.#size;
  }

  /** Copy bytes from `position` into `target`; the number copied (0 at or past the end). */
  read(position: number, target: Uint8Array): number {
    const n = Math.max(0, Math.min(target.byteLength, this.#size - position));
    let done = 0;
    while (done < n) {
      const at = position + done;
      const block = this.#blocks[Math.floor(at / BLOCK_SIZE)];
      const from = at % BLOCK_SIZE;
      const take = Math.min(n - done, BLOCK_SIZE - from);
      target.set(block.subarray(from, from + take), done);
      done += take;
    }
    return n;
  }

  /** Copy `data` in at `position`; a gap past the end reads as zeros. */
  write(position: number, data: Uint8Array): void {
    const end = position + data.byteLength;
    if (end > this.#size) this.#reserve(end);
    let done = 0;
    while (done < data.byteLength) {
      const at = position + done;
      const block = this.#blocks[Math.floor(at / BLOCK_SIZE)];
      const from = at % BLOCK_SIZE;
      const take = Math.min(data.byteLength - done, BLOCK_SIZE - from);
      block.set(data.subarray(done, done + take), from);
      done += take;
    }
    if (end > this.#size) this.#size = end;
  }

  /** Cut (or zero-extend) to `size` bytes. */
  truncate(size: number): void {
    if (size > this.#size) {
      this.#reserve(size);
      this.#size = size;
      return;
    }
    const keep = Math.ceil(size / BLOCK_SIZE);
    this.#blocks.length = keep;
    // Later growth must read zeros, not the bytes cut off here.
    if (keep > 0 && size % BLOCK_SIZE !== 0) this.#blocks[keep - 1].fill(0, size % BLOCK_SIZE);
    this.#size = size;
  }

  /**
   * Make room for `end` bytes; new space is zero. Only a file's first block
   * starts small and doubles (tiny files stay tiny); every later block is
   * allocated at full size once, so large files leave no garbage behind.
   */
  #reserve(end: number): void {
    const needed = Math.ceil(end / BLOCK_SIZE);
    if (this.#blocks.length === 0) {
      this.#blocks.push(new Uint8Array(Math.min(BLOCK_SIZE, Math.max(MIN_TAIL, end))));
    }
    const first = this.#blocks[0];
    if (first.byteLength < BLOCK_SIZE) {
      const want = needed > 1 ? BLOCK_SIZE : end;
      if (want > first.byteLength) {
        const grown = new Uint8Array(Math.min(BLOCK_SIZE, Math.max(want, first.byteLength * 2)));
        grown.set(first);
        this.#blocks[0] = grown;
      }
    }
    while (this.#blocks.length < needed) this.#blocks.push(new Uint8Array(BLOCK_SIZE));
  }
}

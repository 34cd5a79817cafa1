/**
 * A small seeded pseudo-random generator (xorshift32) so a failing fuzz or
 * soak run can be repeated with the same seed.
 *
 * @module
 */

/** Seeded random numbers. */
export class Rng {
  #x: number;

  /** @param seed Any non-zero 32-bit number. */
  constructor(seed: number) {
    this.#x = (seed >>> 0) || 1;
  }

  /** The next 32-bit unsigned value. */
  next(): number {
    let x = this.#x;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#x = x >>> 0;
    return this.#x;
  }

  /** An integer in `[0, n)`. */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  /** A random element of `list`. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

/**
 * The shared buffering and padding of the Merkle–Damgård hashes (MD5, SHA-1,
 * SHA-256): 64-byte blocks, a 0x80 byte, zeros, then the bit length.
 *
 * @module
 */

/**
 * Base of the 64-byte-block hashes (MD5, SHA-1, SHA-256); subclasses compress
 * one block at a time.
 *
 * @example
 * ```ts
 * import { BlockHash, Sha256 } from "@ftpkit/ftp/streams";
 * const hash: BlockHash = new Sha256();
 * hash.update(new Uint8Array([1, 2, 3]));
 * ```
 */
export abstract class BlockHash {
  #block = new Uint8Array(64);
  #filled = 0;
  #length = 0;
  #finished = false;
  /** Whether the bit length is written little-endian (MD5) or big-endian (SHA). */
  protected abstract readonly littleEndian: boolean;

  /** Mix one 64-byte block into the state. */
  protected abstract compress(block: Uint8Array): void;
  /** The final state as bytes. */
  protected abstract output(): Uint8Array;

  /** Add `data` to the hashed bytes. */
  update(data: Uint8Array): this {
    if (this.#finished) throw new TypeError("digest() was already called");
    this.#length += data.byteLength;
    let at = 0;
    if (this.#filled > 0) {
      const take = Math.min(64 - this.#filled, data.byteLength);
      this.#block.set(data.subarray(0, take), this.#filled);
      this.#filled += take;
      at = take;
      if (this.#filled < 64) return this;
      this.compress(this.#block);
      this.#filled = 0;
    }
    for (; at + 64 <= data.byteLength; at += 64) this.compress(data.subarray(at, at + 64));
    if (at < data.byteLength) {
      this.#block.set(data.subarray(at), 0);
      this.#filled = data.byteLength - at;
    }
    return this;
  }

  /** Finish and return the digest; the object cannot be updated afterwards. */
  digest(): Uint8Array {
    if (this.#finished) throw new TypeError("digest() was already called");
    const bits = this.#length * 8;
    const tail = new Uint8Array(this.#filled < 56 ? 64 : 128);
    tail.set(this.#block.subarray(0, this.#filled));
    tail[this.#filled] = 0x80;
    const view = new DataView(tail.buffer);
    const high = Math.floor(bits / 0x100000000);
    const low = bits >>> 0;
    if (this.littleEndian) {
      view.setUint32(tail.length - 8, low, true);
      view.setUint32(tail.length - 4, high, true);
    } else {
      view.setUint32(tail.length - 8, high, false);
      view.setUint32(tail.length - 4, low, false);
    }
    for (let at = 0; at < tail.length; at += 64) this.compress(tail.subarray(at, at + 64));
    this.#finished = true;
    return this.output();
  }
}

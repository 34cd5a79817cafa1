/**
 * Incremental MD5 (RFC 1321) in plain TypeScript, for FTP clients that check
 * transfers with `HASH` MD5. Not for security.
 *
 * @module
 */

import { BlockHash } from "./block_hash.ts";

const S = [
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  7,
  12,
  17,
  22,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  5,
  9,
  14,
  20,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  4,
  11,
  16,
  23,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
  6,
  10,
  15,
  21,
];
const K = new Uint32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000);

/**
 * MD5, fed chunk by chunk.
 *
 * @example
 * ```ts
 * import { Md5, hashToHex } from "@ftpkit/ftp/server";
 * console.log(hashToHex(new Md5().update(new TextEncoder().encode("abc")).digest()));
 * ```
 */
export class Md5 extends BlockHash {
  /** Byte order of the length field. */
  protected readonly littleEndian = true;
  #h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]);
  #m = new Uint32Array(16);

  /** Mix one 64-byte block into the state. */
  protected compress(block: Uint8Array): void {
    const m = this.#m;
    for (let i = 0; i < 16; i++) {
      const j = i * 4;
      m[i] = block[j] | (block[j + 1] << 8) | (block[j + 2] << 16) | (block[j + 3] << 24);
    }
    const h = this.#h;
    let a = h[0], b = h[1], c = h[2], d = h[3];
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const x = (a + f + K[i] + m[g]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((x << S[i]) | (x >>> (32 - S[i])))) | 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
  }

  /** The digest bytes. */
  protected output(): Uint8Array {
    const out = new Uint8Array(16);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 4; i++) view.setUint32(i * 4, this.#h[i], true);
    return out;
  }
}

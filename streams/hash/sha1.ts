/**
 * Incremental SHA-1 (FIPS 180-4) in plain TypeScript. SHA-1 is broken for
 * security; FTP clients still ask for it to check transfers.
 *
 * @module
 */

import { BlockHash } from "./block_hash.ts";

/**
 * SHA-1, fed chunk by chunk.
 *
 * @example
 * ```ts
 * import { Sha1, hashToHex } from "@ftpkit/ftp/server";
 * console.log(hashToHex(new Sha1().update(new TextEncoder().encode("abc")).digest()));
 * ```
 */
export class Sha1 extends BlockHash {
  /** Byte order of the length field. */
  protected readonly littleEndian = false;
  #h = new Uint32Array([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  #w = new Uint32Array(80);

  /** Mix one 64-byte block into the state. */
  protected compress(block: Uint8Array): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = i * 4;
      w[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    const h = this.#h;
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (let i = 0; i < 80; i++) {
      let f: number, k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }

  /** The digest bytes. */
  protected output(): Uint8Array {
    const out = new Uint8Array(20);
    const view = new DataView(out.buffer);
    for (let i = 0; i < 5; i++) view.setUint32(i * 4, this.#h[i], false);
    return out;
  }
}

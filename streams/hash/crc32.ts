/**
 * Incremental CRC-32 (IEEE 802.3, the one of zip and `XCRC`).
 *
 * @module
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/**
 * CRC-32, fed chunk by chunk; the digest is the 4-byte big-endian value.
 *
 * @example
 * ```ts
 * import { Crc32, hashToHex } from "@ftpkit/ftp/server";
 * console.log(hashToHex(new Crc32().update(new TextEncoder().encode("abc")).digest())); // 352441c2
 * ```
 */
export class Crc32 {
  #crc = 0xffffffff;

  /** Add `data` to the checked bytes. */
  update(data: Uint8Array): this {
    let crc = this.#crc;
    for (let i = 0; i < data.byteLength; i++) crc = TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
    this.#crc = crc;
    return this;
  }

  /** The checksum, big-endian. */
  digest(): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, (this.#crc ^ 0xffffffff) >>> 0, false);
    return out;
  }
}

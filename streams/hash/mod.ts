/**
 * Incremental hashes for FTP `HASH` (draft-bryan-ftpext-hash): SHA-256, SHA-1,
 * MD5 and CRC-32 in plain TypeScript, so a file range can be hashed while it
 * streams on every runtime (`crypto.subtle` only hashes whole buffers). The
 * server answers `HASH` with them and the client verifies transfers with them.
 *
 * @example
 * ```ts
 * import { createFtpHash, hashToHex } from "@ftpkit/ftp/streams";
 * const hash = createFtpHash("SHA-256");
 * hash.update(new TextEncoder().encode("abc"));
 * console.log(hashToHex(hash.digest()));
 * ```
 *
 * @module
 */

import { Crc32 } from "./crc32.ts";
import { Md5 } from "./md5.ts";
import { Sha1 } from "./sha1.ts";
import { Sha256 } from "./sha256.ts";

export { Crc32, Md5, Sha1, Sha256 };
export { BlockHash } from "./block_hash.ts";

/** A hash that is fed chunk by chunk. */
export interface IncrementalHash {
  /** Add bytes. */
  update(data: Uint8Array): IncrementalHash;
  /** Finish and return the digest. */
  digest(): Uint8Array;
}

/** The algorithm names of the `HASH` command, as FEAT lists them. */
export type FtpHashAlgorithm = "SHA-256" | "SHA-1" | "MD5" | "CRC32";

/** Every supported `HASH` algorithm, in order of preference. */
export const FTP_HASH_ALGORITHMS: readonly FtpHashAlgorithm[] = [
  "SHA-256",
  "SHA-1",
  "MD5",
  "CRC32",
];

/**
 * A fresh hash for `algorithm`.
 *
 * @example
 * ```ts
 * import { createFtpHash } from "@ftpkit/ftp/streams";
 * const crc = createFtpHash("CRC32").update(new Uint8Array([1, 2, 3])).digest();
 * ```
 */
export function createFtpHash(algorithm: FtpHashAlgorithm): IncrementalHash {
  switch (algorithm) {
    case "SHA-256":
      return new Sha256();
    case "SHA-1":
      return new Sha1();
    case "MD5":
      return new Md5();
    case "CRC32":
      return new Crc32();
  }
}

/**
 * Lower-case hex of `bytes`.
 *
 * @example
 * ```ts
 * import { hashToHex } from "@ftpkit/ftp/streams";
 * console.log(hashToHex(new Uint8Array([0xca, 0xfe]))); // "cafe"
 * ```
 */
export function hashToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  createFtpHash,
  FTP_HASH_ALGORITHMS,
  type FtpHashAlgorithm,
  hashToHex,
} from "../../streams/hash/mod.ts";
import { pseudoRandomBytes } from "../_helpers.ts";

const enc = new TextEncoder();
const digest = (algorithm: FtpHashAlgorithm, text: string) =>
  hashToHex(createFtpHash(algorithm).update(enc.encode(text)).digest());

describe("HASH algorithms", () => {
  test("known vectors", () => {
    const abc448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert.equal(
      digest("SHA-256", ""),
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    assert.equal(
      digest("SHA-256", "abc"),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    assert.equal(
      digest("SHA-256", abc448),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    assert.equal(digest("SHA-1", ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert.equal(digest("SHA-1", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert.equal(digest("SHA-1", abc448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert.equal(digest("MD5", ""), "d41d8cd98f00b204e9800998ecf8427e");
    assert.equal(digest("MD5", "abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert.equal(
      digest(
        "MD5",
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      ),
      "57edf4a22be3c955ac49da2e2107b67a",
    );
    assert.equal(digest("CRC32", "123456789"), "cbf43926");
    assert.equal(digest("CRC32", ""), "00000000");
    assert.equal(digest("CRC32", "The quick brown fox jumps over the lazy dog"), "414fa339");
  });

  test("one million 'a' (SHA-256, SHA-1, MD5), fed in uneven chunks", () => {
    const expected: Record<string, string> = {
      "SHA-256": "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
      "SHA-1": "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
      "MD5": "7707d6ae4e027c70eea2a935c2296f21",
    };
    const a = new Uint8Array(1_000_000).fill(0x61);
    for (const [algorithm, hex] of Object.entries(expected)) {
      const h = createFtpHash(algorithm as FtpHashAlgorithm);
      for (let at = 0, step = 1; at < a.length; at += step, step = (step * 7 + 3) % 9000 + 1) {
        h.update(a.subarray(at, Math.min(a.length, at + step)));
      }
      assert.equal(hashToHex(h.digest()), hex, algorithm);
    }
  });

  test("agree with node:crypto at every length around the block boundaries", () => {
    const names: Record<string, string> = { "SHA-256": "sha256", "SHA-1": "sha1", "MD5": "md5" };
    const data = pseudoRandomBytes(300, 3);
    for (const algorithm of FTP_HASH_ALGORITHMS) {
      if (algorithm === "CRC32") continue;
      for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 300]) {
        const mine = hashToHex(createFtpHash(algorithm).update(data.subarray(0, n)).digest());
        assert.equal(mine, createHash(names[algorithm]).update(data.subarray(0, n)).digest("hex"));
      }
    }
  });

  test("digest() twice is refused", () => {
    const h = createFtpHash("SHA-1");
    h.digest();
    assert.throws(() => h.digest(), TypeError);
  });
});

/**
 * Password comparison whose duration does not depend on where the strings
 * differ: both sides are hashed with SHA-256 and the digests compared in full.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Whether `given` equals `expected`, in time independent of their content.
 *
 * @example
 * ```ts
 * import { passwordsMatch } from "@ftpkit/ftp/server";
 * console.log(await passwordsMatch("secret", "secret")); // true
 * ```
 */
export async function passwordsMatch(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  const x = new Uint8Array(a), y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * What may go into a command line. A CR or LF inside an argument would end
 * the command and start another one chosen by whoever wrote the argument, so
 * it is refused before anything is sent. A line feed inside a *path* is
 * legal on some systems: RFC 959 sends it as NUL.
 *
 * @module
 */

import { UnsafeArgumentError } from "./errors.ts";

/**
 * Check a non-path argument (user, password, account, raw command, option).
 *
 * @example
 * ```ts
 * import { checkArgument } from "@ftpkit/ftp";
 * checkArgument("anonymous"); // "anonymous"
 * ```
 * @throws {UnsafeArgumentError} when it contains CR, LF or NUL.
 */
export function checkArgument(argument: string): string {
  if (/[\r\n\0]/.test(argument)) throw new UnsafeArgumentError(argument);
  return argument;
}

/**
 * Encode a path for the wire: LF becomes NUL (RFC 959 §3.1.1.5 / Appendix II);
 * CR and NUL are refused.
 *
 * @example
 * ```ts
 * import { encodePathForWire } from "@ftpkit/ftp";
 * encodePathForWire("/odd\nname"); // "/odd\0name"
 * ```
 * @throws {UnsafeArgumentError} when it contains CR or NUL.
 */
export function encodePathForWire(path: string): string {
  if (/[\r\0]/.test(path)) throw new UnsafeArgumentError(path);
  return path.replaceAll("\n", "\0");
}

/**
 * Decode a path received from the server (NUL back to LF).
 *
 * @example
 * ```ts
 * import { decodePathFromWire } from "@ftpkit/ftp";
 * decodePathFromWire("/odd\0name"); // "/odd\nname"
 * ```
 */
export function decodePathFromWire(path: string): string {
  return path.includes("\0") ? path.replaceAll("\0", "\n") : path;
}

/**
 * Parser of `ls -l` permission strings.
 *
 * @module
 */

import { ProtocolError } from "../streams/errors.ts";

/**
 * The permission bits of a unix mode string: nine characters (`"rwxr-xr-x"`),
 * or ten with the file type first (`"drwxr-sr-t"`). Understands setuid,
 * setgid and sticky (`s`/`S`, `t`/`T`).
 *
 * @example
 * ```ts
 * import { parseUnixMode } from "@ftpkit/ftp";
 * parseUnixMode("rwxr-xr-x").toString(8); // "755"
 * parseUnixMode("drwxrwsr-t").toString(8); // "3775"
 * ```
 * @throws {ProtocolError} on anything else.
 */
export function parseUnixMode(text: string): number {
  const perms = text.length === 10 ? text.slice(1) : text;
  if (!/^[r-][w-][xsS-][r-][w-][xsS-][r-][w-][xtT-]$/.test(perms)) {
    throw new ProtocolError(`Not a unix mode string: ${JSON.stringify(text)}`);
  }
  let mode = 0;
  for (let who = 0; who < 3; who++) {
    const [r, w, x] = perms.slice(who * 3, who * 3 + 3);
    const shift = (2 - who) * 3;
    if (r === "r") mode |= 4 << shift;
    if (w === "w") mode |= 2 << shift;
    if (x === "x" || x === "s" || x === "t") mode |= 1 << shift;
    if (x === "s" || x === "S") mode |= who === 0 ? 0o4000 : 0o2000;
    if (x === "t" || x === "T") mode |= 0o1000;
  }
  return mode;
}

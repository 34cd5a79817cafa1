/**
 * Parser of the quoted path in `257` replies to PWD and MKD (RFC 959
 * Appendix II): `257 "/a ""quoted"" dir" is current directory`.
 *
 * @module
 */

import { ProtocolError } from "../streams/errors.ts";
import { decodePathFromWire } from "./escape.ts";

/**
 * The path inside the first double-quoted string of a 257 reply, with doubled
 * quotes undone and NULs turned back into line feeds.
 *
 * @example
 * ```ts
 * import { parseQuotedPath } from "@ftpkit/ftp";
 * parseQuotedPath('257 "/say ""hi""" created'); // '/say "hi"'
 * ```
 * @throws {ProtocolError} when the reply holds no quoted path.
 */
export function parseQuotedPath(text: string): string {
  const start = text.indexOf('"');
  if (start < 0) throw new ProtocolError(`No quoted path in reply: ${JSON.stringify(text)}`);
  let out = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c !== '"') {
      out += c;
      continue;
    }
    if (text[i + 1] === '"') {
      out += '"';
      i++;
      continue;
    }
    return decodePathFromWire(out);
  }
  throw new ProtocolError(`Unterminated quoted path in reply: ${JSON.stringify(text)}`);
}

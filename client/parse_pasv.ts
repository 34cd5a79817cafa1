/**
 * Parsers of passive-mode replies: `227` (PASV, RFC 959) and `229` (EPSV,
 * RFC 2428).
 *
 * @module
 */

import { ProtocolError } from "../streams/errors.ts";

/** Where a passive data connection should go. */
export interface PassiveAddress {
  /** The host the server announced (`null` for EPSV, which names only a port). */
  host: string | null;
  /** The data port. */
  port: number;
}

/**
 * Parse a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply text. The
 * parentheses are optional, as RFC 1123 §4.1.2.6 allows.
 *
 * @example
 * ```ts
 * import { parsePasvReply } from "@ftpkit/ftp";
 * parsePasvReply("227 Entering Passive Mode (192,168,1,2,19,137)"); // { host: "192.168.1.2", port: 5001 }
 * ```
 * @throws {ProtocolError} when no valid address is found.
 */
export function parsePasvReply(text: string): PassiveAddress {
  const m = /(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})/.exec(text);
  if (!m) throw new ProtocolError(`Cannot parse PASV reply: ${JSON.stringify(text)}`);
  const n = m.slice(1).map(Number);
  if (n.some((v) => v > 255)) {
    throw new ProtocolError(`PASV reply has an octet over 255: ${JSON.stringify(text)}`);
  }
  const port = n[4] * 256 + n[5];
  if (port === 0) throw new ProtocolError(`PASV reply names port 0: ${JSON.stringify(text)}`);
  return { host: n.slice(0, 4).join("."), port };
}

/**
 * Parse a `229 Entering Extended Passive Mode (|||port|)` reply text. The
 * delimiter is whatever character the server uses (RFC 2428 §3).
 *
 * @example
 * ```ts
 * import { parseEpsvReply } from "@ftpkit/ftp";
 * parseEpsvReply("229 Entering Extended Passive Mode (|||6446|)"); // { host: null, port: 6446 }
 * ```
 * @throws {ProtocolError} when no valid port is found.
 */
export function parseEpsvReply(text: string): PassiveAddress {
  const m = /\(([!-~])\1\1(\d{1,5})\1\)/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536)) {
    throw new ProtocolError(`Cannot parse EPSV reply: ${JSON.stringify(text)}`);
  }
  return { host: null, port };
}

/**
 * The argument of `PORT` (RFC 959) for an IPv4 address and port.
 *
 * @example
 * ```ts
 * import { formatPortArgument } from "@ftpkit/ftp";
 * formatPortArgument("127.0.0.1", 5001); // "127,0,0,1,19,137"
 * ```
 */
export function formatPortArgument(host: string, port: number): string {
  return [...host.split("."), String(port >> 8), String(port & 0xff)].join(",");
}

/**
 * The argument of `EPRT` (RFC 2428): `|1|addr|port|` or `|2|addr|port|`.
 *
 * @example
 * ```ts
 * import { formatEprtArgument } from "@ftpkit/ftp";
 * formatEprtArgument("::1", 5001); // "|2|::1|5001|"
 * ```
 */
export function formatEprtArgument(host: string, port: number): string {
  return `|${host.includes(":") ? 2 : 1}|${host}|${port}|`;
}

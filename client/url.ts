/**
 * `ftp://` and `ftps://` URLs (RFC 1738 §3.2) as connection settings.
 *
 * @module
 */

/** What an FTP URL says. */
export interface FtpUrlParts {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** Port (21 for `ftp:`, 990 for `ftps:`, unless given). */
  port: number;
  /** User, percent-decoded (`"anonymous"` when absent). */
  user: string;
  /** Password, percent-decoded (`""` when absent). */
  password: string;
  /** Path after the host, percent-decoded (`"/"` when absent). */
  path: string;
  /** `true` for `ftps:` (implicit TLS). */
  implicitTls: boolean;
}

/**
 * Parse an `ftp://user:password@host:port/path` or `ftps://...` URL.
 *
 * @example
 * ```ts
 * import { parseFtpUrl } from "@ftpkit/ftp";
 * parseFtpUrl("ftp://bob:s%40cret@[::1]:2121/pub");
 * // { host: "::1", port: 2121, user: "bob", password: "s@cret", path: "/pub", implicitTls: false }
 * ```
 * @throws {TypeError} on a URL that is not `ftp:` or `ftps:`.
 */
export function parseFtpUrl(url: string | URL): FtpUrlParts {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "ftp:" && u.protocol !== "ftps:") {
    throw new TypeError(`Not an ftp:// or ftps:// URL: ${u.protocol}`);
  }
  const implicitTls = u.protocol === "ftps:";
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  return {
    host,
    port: u.port ? Number(u.port) : implicitTls ? 990 : 21,
    user: u.username ? decodeURIComponent(u.username) : "anonymous",
    password: u.password ? decodeURIComponent(u.password) : "",
    path: decodeURIComponent(u.pathname || "/") || "/",
    implicitTls,
  };
}

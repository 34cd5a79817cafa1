/**
 * Errors only the client raises.
 *
 * @module
 */

import { FtpError, StatusCodeError } from "../streams/errors.ts";

/**
 * A command argument (path, user name, password, raw command) contained a
 * character that would end the command early and let the rest be read as a
 * second command (CR, LF where not allowed, NUL). Nothing was sent.
 *
 * @example
 * ```ts
 * import { UnsafeArgumentError } from "@ftpkit/ftp";
 * const err = new UnsafeArgumentError("a\r\nDELE b");
 * console.log(err.argument);
 * ```
 */
export class UnsafeArgumentError extends FtpError {
  /** The refused argument. */
  readonly argument: string;
  /**
   * Refuse `argument`.
   *
   * @param argument The argument that was refused.
   * @param options The `cause`, if any.
   */
  constructor(argument: string, options?: ErrorOptions) {
    super(
      `Refusing to send an argument with CR, LF or NUL (command injection): ${
        JSON.stringify(argument)
      }`,
      options,
    );
    this.argument = argument;
  }
}

/**
 * The server refused an FTPS data connection (`522`, or `425`/`450` naming
 * resumption) because it did not resume the control connection's TLS session.
 * vsftpd (`require_ssl_reuse=YES`, its default) and FileZilla Server require
 * it. The socket adapter decides whether sessions can be resumed: the
 * `node:tls` adapter can on Node and Bun (Bun's native adapter only in
 * passive mode); Deno has no API for it (neither natively nor through
 * `node:tls`), so such servers cannot be used from Deno with `PROT P` until
 * it has one.
 *
 * @example
 * ```ts
 * import { TlsSessionReuseError } from "@ftpkit/ftp";
 * const err = new TlsSessionReuseError("node", ["522 SSL connection failed: session reuse required"]);
 * console.log(err.receivedCodes); // ["522"]
 * ```
 */
export class TlsSessionReuseError extends StatusCodeError {
  /** Name of the socket adapter that could not resume the session. */
  readonly adapter: string;
  /**
   * Report a refused data connection that needed TLS session resumption.
   *
   * @param adapter The socket adapter's name.
   * @param info The server's reply lines.
   * @param options The `cause` (the server's refusal).
   */
  constructor(adapter: string, info: readonly string[], options?: ErrorOptions) {
    super(["1xx", "2xx"], info[0]?.slice(0, 3) ?? "522", info, options);
    this.adapter = adapter;
    this.message = `The server requires the FTPS data connection to resume the control ` +
      `connection's TLS session, and the "${adapter}" socket adapter did not resume it ` +
      `(Deno has no API for TLS session resumption; on Node and Bun the node:tls adapter ` +
      `resumes in passive and active mode). ` +
      `Server said: ${info.join(" | ")}`;
  }
}

/**
 * A transferred file's SHA-256 differs from the server's `HASH` of it.
 *
 * @example
 * ```ts
 * import { ChecksumMismatchError } from "@ftpkit/ftp";
 * const err = new ChecksumMismatchError("/a.bin", "ab12", "cd34");
 * console.log(err.local, err.remote);
 * ```
 */
export class ChecksumMismatchError extends FtpError {
  /** The remote path. */
  readonly path: string;
  /** Local SHA-256, hex. */
  readonly local: string;
  /** The server's SHA-256, hex. */
  readonly remote: string;
  /**
   * Report differing checksums.
   *
   * @param path Remote path.
   * @param local Local hash.
   * @param remote Server's hash.
   * @param options The `cause`, if any.
   */
  constructor(path: string, local: string, remote: string, options?: ErrorOptions) {
    super(`SHA-256 of ${path} differs: local ${local}, server ${remote}`, options);
    this.path = path;
    this.local = local;
    this.remote = remote;
  }
}

/**
 * The error classes every layer of ftpkit throws.
 *
 * All of them extend {@linkcode FtpError}, so `err instanceof FtpError` tells an
 * ftpkit failure from anything else. Errors raised because of another error keep
 * it as the standard `cause`.
 *
 * @module
 */

/**
 * Base class of every error ftpkit throws.
 *
 * @example
 * ```ts
 * import { FtpError } from "@ftpkit/ftp";
 * try {
 *   throw new FtpError("boom");
 * } catch (err) {
 *   if (err instanceof FtpError) console.log(err.message);
 * }
 * ```
 */
export class FtpError extends Error {
  /**
   * Create the error.
   *
   * @param message What went wrong, for people.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A server reply whose code did not match what the command expected.
 *
 * @example
 * ```ts
 * import { StatusCodeError } from "@ftpkit/ftp";
 * const err = new StatusCodeError(["250"], "550", ["550 No such file"]);
 * console.log(err.receivedCodes, err.info);
 * ```
 */
export class StatusCodeError extends FtpError {
  /** The codes (or masks such as `"2xx"`) the command accepted. */
  readonly expectedCodes: readonly string[];
  /** The code(s) actually received. */
  readonly receivedCodes: readonly string[];
  /** The reply's text lines as the server sent them. */
  readonly info: readonly string[];

  /**
   * Create the error.
   *
   * @param expectedCodes Codes or masks that would have been accepted.
   * @param receivedCodes The code or codes received.
   * @param info The server's reply lines.
   */
  constructor(
    expectedCodes: readonly string[] | string,
    receivedCodes: readonly string[] | string,
    info: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    const expected = typeof expectedCodes === "string" ? [expectedCodes] : [...expectedCodes];
    const received = typeof receivedCodes === "string" ? [receivedCodes] : [...receivedCodes];
    super(
      `Waiting for ${expected.join(", ")} but got ${received.join(", ")}` +
        (info.length ? `: ${info.join(" | ")}` : ""),
      options,
    );
    this.expectedCodes = expected;
    this.receivedCodes = received;
    this.info = [...info];
  }
}

/**
 * A path that must be absolute was relative.
 *
 * @example
 * ```ts
 * import { PathIsNotAbsoluteError } from "@ftpkit/ftp";
 * const err = new PathIsNotAbsoluteError("docs/a.txt");
 * console.log(err.path);
 * ```
 */
export class PathIsNotAbsoluteError extends FtpError {
  /** The offending path. */
  readonly path: string;
  /**
   * Create the error.
   *
   * @param path The relative path that was given.
   */
  constructor(path: string, options?: ErrorOptions) {
    super(`Path is not absolute: ${JSON.stringify(path)}`, options);
    this.path = path;
  }
}

/**
 * What kind of storage failure a {@linkcode PathIOError} reports, so that a
 * server can choose its reply without parsing messages.
 */
export type PathIOErrorKind =
  | "not-found"
  | "exists"
  | "not-a-directory"
  | "is-a-directory"
  | "not-empty"
  | "permission"
  | "no-space"
  | "invalid"
  | "timeout"
  | "aborted"
  | "other";

/** Options of {@linkcode PathIOError}. */
export interface PathIOErrorOptions extends ErrorOptions {
  /** The virtual or real path involved, if any. */
  path?: string;
  /** The kind of failure (default `"other"`). */
  kind?: PathIOErrorKind;
}

/**
 * A storage operation failed. The backend's own error is the `cause`.
 *
 * @example
 * ```ts
 * import { PathIOError } from "@ftpkit/ftp";
 * const err = new PathIOError("cannot open", { kind: "not-found", path: "/a" });
 * console.log(err.kind === "not-found");
 * ```
 */
export class PathIOError extends FtpError {
  /** The path involved, when known. */
  readonly path?: string;
  /** The kind of failure. */
  readonly kind: PathIOErrorKind;
  /**
   * Create the error.
   *
   * @param message What failed.
   * @param options Path, kind and the backend's error as `cause`.
   */
  constructor(message: string, options: PathIOErrorOptions = {}) {
    super(message, options);
    this.path = options.path;
    this.kind = options.kind ?? "other";
  }
}

/**
 * No port of the configured data port range could be bound.
 *
 * @example
 * ```ts
 * import { NoAvailablePortError } from "@ftpkit/ftp";
 * throw new NoAvailablePortError("all 10 data ports are busy");
 * ```
 */
export class NoAvailablePortError extends FtpError {}

/**
 * An operation did not finish within its time limit.
 *
 * @example
 * ```ts
 * import { FtpTimeoutError } from "@ftpkit/ftp";
 * const err = new FtpTimeoutError("read", 30_000);
 * console.log(err.timeoutMs);
 * ```
 */
export class FtpTimeoutError extends FtpError {
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Create the error.
   *
   * @param what What was being waited for.
   * @param timeoutMs The limit in milliseconds.
   */
  constructor(what: string, timeoutMs: number, options?: ErrorOptions) {
    super(`${what} timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The peer sent something that breaks the protocol: an over-long line, a
 * malformed reply, a truncated multi-line reply, an unusable PASV address.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "@ftpkit/ftp";
 * throw new ProtocolError("reply line longer than 8192 bytes");
 * ```
 */
export class ProtocolError extends FtpError {}

/**
 * A line exceeded the allowed maximum length. Reading stops at once instead of
 * buffering without bound.
 *
 * @example
 * ```ts
 * import { LineTooLongError } from "@ftpkit/ftp";
 * const err = new LineTooLongError(8192);
 * console.log(err.maxLength);
 * ```
 */
export class LineTooLongError extends ProtocolError {
  /** The maximum line length in bytes. */
  readonly maxLength: number;
  /**
   * Create the error.
   *
   * @param maxLength The limit that was exceeded.
   */
  constructor(maxLength: number, options?: ErrorOptions) {
    super(`Line longer than ${maxLength} bytes`, options);
    this.maxLength = maxLength;
  }
}

/**
 * A socket-level failure: refused, reset, address in use, closed while waiting.
 * `code` carries the system's short code (`"ECONNREFUSED"`, `"EADDRINUSE"`,
 * `"ECONNRESET"`, `"EPIPE"`, `"ECLOSED"`, ...) whatever the runtime.
 *
 * @example
 * ```ts
 * import { SocketError } from "@ftpkit/ftp";
 * const err = new SocketError("connection refused", "ECONNREFUSED");
 * console.log(err.code);
 * ```
 */
export class SocketError extends FtpError {
  /** Short error code, runtime-independent. */
  readonly code: string;
  /**
   * Create the error.
   *
   * @param message What failed.
   * @param code Short error code such as `"ECONNREFUSED"`.
   */
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The connection ended (or was closed by this side) while an operation still
 * needed it.
 *
 * @example
 * ```ts
 * import { ConnectionClosedError } from "@ftpkit/ftp";
 * throw new ConnectionClosedError("control connection closed by server");
 * ```
 */
export class ConnectionClosedError extends SocketError {
  /**
   * Create the error.
   *
   * @param message What was interrupted.
   */
  constructor(message = "Connection closed", options?: ErrorOptions) {
    super(message, "ECLOSED", options);
  }
}

/**
 * An operation was cancelled through its `AbortSignal`.
 *
 * @example
 * ```ts
 * import { AbortedError } from "@ftpkit/ftp";
 * throw new AbortedError("download cancelled");
 * ```
 */
export class AbortedError extends FtpError {}

/** Map a runtime error (Node `code`, Deno `name`) to a {@linkcode SocketError}. */
export function toSocketError(err: unknown, what: string): SocketError {
  if (err instanceof SocketError) return err;
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  let code = typeof e?.code === "string" ? e.code : "";
  if (!code && typeof e?.name === "string") code = DENO_ERROR_CODES[e.name] ?? "";
  if (!code) code = "EIO";
  const detail = typeof e?.message === "string" ? e.message : String(err);
  return new SocketError(`${what}: ${detail}`, code, { cause: err });
}

const DENO_ERROR_CODES: Record<string, string> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  BrokenPipe: "EPIPE",
  NotConnected: "ENOTCONN",
  TimedOut: "ETIMEDOUT",
  BadResource: "ECLOSED",
  Interrupted: "EINTR",
  PermissionDenied: "EACCES",
};

/**
 * The settings of a {@linkcode Server} (aioftp's `Server` arguments in
 * camelCase; times in milliseconds, speeds in bytes per second).
 *
 * @module
 */

import type { PathIO } from "../pathio/path_io.ts";
import type { ServerTlsOptions, SocketAdapter } from "../streams/connection.ts";
import type { CommandTable } from "./command.ts";
import type { User } from "./user.ts";
import type { UserManager } from "./user_manager.ts";

/** A storage backend for all users, or a factory that picks one per user. */
export type PathIOSource = PathIO | ((user: User) => PathIO);

/** Options of {@linkcode Server}. */
export interface ServerOptions {
  /** Accounts (default: one anonymous user with full rights). Ignored when `userManager` is set. */
  users?: User[];
  /** Where accounts come from; takes precedence over `users`. */
  userManager?: UserManager;
  /** Storage; paths are the users' `basePath` joined with their virtual paths. */
  pathIO: PathIOSource;
  /**
   * Largest chunk of a file read or write in a transfer (default 1 MiB). With
   * many transfers at once each uses smaller chunks: see `transferMemory`.
   */
  blockSize?: number;
  /**
   * Bytes that the chunks of all running transfers may hold together (default
   * 16 MiB): each of `n` transfers reads or writes at most `transferMemory / (2n)`
   * bytes at a time (never more than `blockSize`, never less than 16 KiB).
   */
  transferMemory?: number;
  /** Longest a single socket read or write of a transfer or reply may stall (default 60000; `null`: no limit). */
  socketTimeout?: number | null;
  /** Close a control connection idle this long, without a transfer running (default 300000; `null`: never). */
  idleTimeout?: number | null;
  /** How long to wait for the client to open the data connection (default 10000). */
  waitFutureTimeout?: number;
  /** Limit of one storage operation (default `null`: none). */
  pathTimeout?: number | null;
  /** Simultaneous control connections (default `null`: unlimited). */
  maximumConnections?: number | null;
  /** Simultaneous control connections from one client address (default `null`: unlimited). */
  maximumConnectionsPerAddress?: number | null;
  /** Upload speed of the whole server, shared by all sessions. */
  readSpeedLimit?: number | null;
  /** Download speed of the whole server, shared by all sessions. */
  writeSpeedLimit?: number | null;
  /** Upload speed of each session. */
  readSpeedLimitPerConnection?: number | null;
  /** Download speed of each session. */
  writeSpeedLimitPerConnection?: number | null;
  /** IPv4 address to announce in PASV replies instead of the local one (NAT). */
  ipv4PasvForcedResponseAddress?: string | null;
  /** Ports for passive data connections (default: any free port). */
  dataPorts?: Iterable<number> | null;
  /** Encoding of paths on the control connection (default `"utf-8"`). */
  encoding?: "utf-8" | "latin1";
  /** How sockets are opened (default `getSocketAdapter()`). */
  socketAdapter?: SocketAdapter;
  /** Certificate and key: enables `AUTH TLS` (and `implicitTls`). Data connections reuse this object so clients can resume their session. */
  tls?: ServerTlsOptions | null;
  /** Speak TLS from the first byte (implicit FTPS) instead of offering `AUTH TLS`. */
  implicitTls?: boolean;
  /** Refuse `USER`/`PASS` on a plain control connection. */
  requireTls?: boolean;
  /** Refuse transfers unless `PROT P` is in effect. */
  requireDataTls?: boolean;
  /**
   * Refuse a protected data connection whose TLS session is not resumed from
   * the control connection (vsftpd's `require_ssl_reuse`): proof that the
   * data connection comes from the same client. Needs clients that resume
   * (curl, lftp, FileZilla, basic-ftp on Node); Python's ftplib does not.
   */
  requireTlsSessionReuse?: boolean;
  /** Accept passive data connections only from the control connection's peer address (default `true`). */
  checkDataPeerAddress?: boolean;
  /** Failed logins before the connection is closed (default 3). */
  maxLoginAttempts?: number;
  /** Delay before answering a failed login (default 1000). */
  failedLoginDelay?: number;
  /** Longest command line in bytes (default 4096). */
  maxLineLength?: number;
  /** How long `close()` lets running transfers finish (default 10000). */
  closeTimeout?: number;
  /** First line of the greeting (default `"ftpkit ready"`). */
  greeting?: string;
  /** Command handlers to add or replace (merged over the built-in table). */
  commands?: CommandTable;
}

/** {@linkcode ServerOptions} with every default filled in, as sessions see them. */
export interface ServerSettings {
  /** See {@linkcode ServerOptions.blockSize}. */
  blockSize: number;
  /** See {@linkcode ServerOptions.transferMemory}. */
  transferMemory: number;
  /** See {@linkcode ServerOptions.socketTimeout}. */
  socketTimeout: number | null;
  /** See {@linkcode ServerOptions.idleTimeout}. */
  idleTimeout: number | null;
  /** See {@linkcode ServerOptions.waitFutureTimeout}. */
  waitFutureTimeout: number;
  /** See {@linkcode ServerOptions.pathTimeout}. */
  pathTimeout: number | null;
  /** See {@linkcode ServerOptions.ipv4PasvForcedResponseAddress}. */
  ipv4PasvForcedResponseAddress: string | null;
  /** See {@linkcode ServerOptions.encoding}. */
  encoding: "utf-8" | "latin1";
  /** See {@linkcode ServerOptions.tls}. */
  tls: ServerTlsOptions | null;
  /** See {@linkcode ServerOptions.implicitTls}. */
  implicitTls: boolean;
  /** See {@linkcode ServerOptions.requireTls}. */
  requireTls: boolean;
  /** See {@linkcode ServerOptions.requireDataTls}. */
  requireDataTls: boolean;
  /** See {@linkcode ServerOptions.requireTlsSessionReuse}. */
  requireTlsSessionReuse: boolean;
  /** See {@linkcode ServerOptions.checkDataPeerAddress}. */
  checkDataPeerAddress: boolean;
  /** See {@linkcode ServerOptions.maxLoginAttempts}. */
  maxLoginAttempts: number;
  /** See {@linkcode ServerOptions.failedLoginDelay}. */
  failedLoginDelay: number;
  /** See {@linkcode ServerOptions.maxLineLength}. */
  maxLineLength: number;
  /** See {@linkcode ServerOptions.greeting}. */
  greeting: string;
  /** See {@linkcode ServerOptions.readSpeedLimitPerConnection}. */
  readSpeedLimitPerConnection: number | null;
  /** See {@linkcode ServerOptions.writeSpeedLimitPerConnection}. */
  writeSpeedLimitPerConnection: number | null;
}

/**
 * Fill in the defaults of `options`.
 *
 * @example
 * ```ts
 * import { resolveServerSettings } from "@ftpkit/ftp/server";
 * console.log(resolveServerSettings({}).blockSize); // 1048576
 * ```
 */
export function resolveServerSettings(options: Partial<ServerOptions>): ServerSettings {
  return {
    blockSize: positive(options.blockSize, 1024 * 1024, "blockSize"),
    transferMemory: positive(options.transferMemory, 16 * 1024 * 1024, "transferMemory"),
    socketTimeout: options.socketTimeout === undefined ? 60_000 : options.socketTimeout,
    idleTimeout: options.idleTimeout === undefined ? 300_000 : options.idleTimeout,
    waitFutureTimeout: options.waitFutureTimeout ?? 10_000,
    pathTimeout: options.pathTimeout ?? null,
    ipv4PasvForcedResponseAddress: options.ipv4PasvForcedResponseAddress ?? null,
    encoding: options.encoding ?? "utf-8",
    tls: options.tls ?? null,
    implicitTls: options.implicitTls ?? false,
    requireTls: options.requireTls ?? false,
    requireDataTls: options.requireDataTls ?? false,
    requireTlsSessionReuse: options.requireTlsSessionReuse ?? false,
    checkDataPeerAddress: options.checkDataPeerAddress ?? true,
    maxLoginAttempts: options.maxLoginAttempts ?? 3,
    failedLoginDelay: options.failedLoginDelay ?? 1000,
    maxLineLength: options.maxLineLength ?? 4096,
    greeting: options.greeting ?? "ftpkit ready",
    readSpeedLimitPerConnection: options.readSpeedLimitPerConnection ?? null,
    writeSpeedLimitPerConnection: options.writeSpeedLimitPerConnection ?? null,
  };
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Server accounts (aioftp's `User`).
 *
 * @module
 */

import { normalize } from "../pathio/posix.ts";
import { Permission } from "./permission.ts";

/** Options of {@linkcode User}. */
export interface UserOptions {
  /** Login name; omit for the anonymous user (any name, any password). */
  login?: string | null;
  /** Password; omit to accept any password (or none). */
  password?: string | null;
  /** Where this user's virtual `/` is in the storage backend (default `"/"`). */
  basePath?: string;
  /** The working directory after login, virtual (default `"/"`). */
  homePath?: string;
  /** Rights by path (default: everything readable and writable). */
  permissions?: Permission[];
  /** Simultaneous sessions of this user (default unlimited). */
  maximumConnections?: number | null;
  /** Bytes per second this user may receive (uploads), all sessions together. */
  readSpeedLimit?: number | null;
  /** Bytes per second this user may send (downloads), all sessions together. */
  writeSpeedLimit?: number | null;
  /** Bytes per second one session of this user may receive. */
  readSpeedLimitPerConnection?: number | null;
  /** Bytes per second one session of this user may send. */
  writeSpeedLimitPerConnection?: number | null;
}

/**
 * A server account. `login: null` is the anonymous user.
 *
 * @example
 * ```ts
 * import { Permission, User } from "@ftpkit/ftp/server";
 * const alice = new User({
 *   login: "alice",
 *   password: "secret",
 *   basePath: "/home/alice",
 *   permissions: [new Permission("/", { writable: false }), new Permission("/upload")],
 * });
 * ```
 */
export class User {
  /** Login name, or `null` for anonymous. */
  readonly login: string | null;
  /** Password, or `null` when any password is accepted. */
  readonly password: string | null;
  /** The backend path shown to the user as `/`. */
  readonly basePath: string;
  /** Virtual working directory after login. */
  readonly homePath: string;
  /** Rights by path. */
  readonly permissions: Permission[];
  /** Simultaneous sessions allowed, or `null`. */
  readonly maximumConnections: number | null;
  /** Upload limit for all of this user's sessions (B/s), or `null`. */
  readonly readSpeedLimit: number | null;
  /** Download limit for all of this user's sessions (B/s), or `null`. */
  readonly writeSpeedLimit: number | null;
  /** Upload limit per session (B/s), or `null`. */
  readonly readSpeedLimitPerConnection: number | null;
  /** Download limit per session (B/s), or `null`. */
  readonly writeSpeedLimitPerConnection: number | null;

  /**
   * An account from its settings.
   * @param options The account's settings.
   */
  constructor(options: UserOptions = {}) {
    this.login = options.login ?? null;
    this.password = options.password ?? null;
    this.basePath = normalize(options.basePath ?? "/");
    this.homePath = normalize(options.homePath ?? "/");
    this.permissions = options.permissions ?? [new Permission("/")];
    this.maximumConnections = options.maximumConnections ?? null;
    this.readSpeedLimit = options.readSpeedLimit ?? null;
    this.writeSpeedLimit = options.writeSpeedLimit ?? null;
    this.readSpeedLimitPerConnection = options.readSpeedLimitPerConnection ?? null;
    this.writeSpeedLimitPerConnection = options.writeSpeedLimitPerConnection ?? null;
  }

  /** Whether this is the anonymous account. */
  get anonymous(): boolean {
    return this.login === null;
  }
}

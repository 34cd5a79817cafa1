/**
 * The few members of the `Bun` namespace the Bun adapter uses, declared
 * locally so that the code type-checks where no Bun types exist.
 *
 * @module
 */

/** TLS options of `Bun.connect` and `socket.upgradeTLS`. */
export interface BunTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  serverName?: string;
  rejectUnauthorized?: boolean;
  minVersion?: string;
}

/** A socket of `Bun.connect` / `Bun.listen`, carrying `T` as `data`. */
export interface BunSocket<T> {
  data: T;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily?: string;
  /** Bytes accepted (possibly fewer than given: Bun keeps no copy of the rest), or -1. */
  write(data: Uint8Array): number;
  /** Half-close: send FIN, keep reading. */
  shutdown(halfClose?: boolean): void;
  /** Full close after flushing; on TLS it waits for the peer's close_notify. */
  end(): void;
  /** Full close now, with FIN (and close_notify), without waiting for the peer. */
  close(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay(noDelay?: boolean): boolean;
  upgradeTLS(options: {
    data: T;
    tls: BunTlsOptions;
    isServer?: boolean;
    socket: BunSocketHandlers<T>;
  }): [BunSocket<T>, BunSocket<T>];
  getSession(): unknown;
  setSession(session: unknown): void;
  isSessionReused(): boolean;
  getTLSVersion(): string | null;
}

/** Event handlers of a Bun socket. */
export interface BunSocketHandlers<T> {
  open?(socket: BunSocket<T>): void;
  data(socket: BunSocket<T>, data: Uint8Array): void;
  drain?(socket: BunSocket<T>): void;
  end?(socket: BunSocket<T>): void;
  close?(socket: BunSocket<T>, error?: Error): void;
  error?(socket: BunSocket<T>, error: Error): void;
  connectError?(socket: BunSocket<T>, error: Error): void;
  handshake?(socket: BunSocket<T>, success: boolean, authorizationError: Error | null): void;
}

/** The `Bun` global, as far as this adapter needs it. */
export interface BunApi {
  connect<T>(options: {
    hostname: string;
    port: number;
    data: T;
    tls?: BunTlsOptions | boolean;
    allowHalfOpen?: boolean;
    socket: BunSocketHandlers<T>;
  }): Promise<BunSocket<T>>;
}

/** The `Bun` global; throws when called outside Bun. */
export function bunApi(): BunApi {
  const bun = (globalThis as unknown as { Bun?: BunApi }).Bun;
  if (!bun) throw new TypeError("The bun socket adapter needs the Bun runtime");
  return bun;
}

/**
 * The data connection of one session: a passive listener or an active
 * target, opened once per transfer.
 *
 * @module
 */

import type {
  Connection,
  Listener,
  NetAddress,
  ServerTlsOptions,
  SocketAdapter,
} from "../streams/connection.ts";
import { waitFor } from "../streams/buffered_reader.ts";
import { NoAvailablePortError, SocketError } from "../streams/errors.ts";

/** Options of {@linkcode DataChannel}. */
export interface DataChannelOptions {
  /** Opens listeners and connections. */
  adapter: SocketAdapter;
  /** The control connection's peer: the only address data may come from or go to. */
  peer: NetAddress;
  /** Refuse passive connections from another address. */
  checkPeerAddress: boolean;
  /** Told about refused foreign connections. */
  onForeignConnection?: (from: NetAddress) => void;
}

/**
 * One session's data connection setup (PASV/EPSV listen, PORT/EPRT target).
 *
 * @example
 * ```ts
 * import { DataChannel } from "@ftpkit/ftp/server";
 * import { getSocketAdapter } from "@ftpkit/ftp/streams";
 * const channel = new DataChannel({
 *   adapter: getSocketAdapter(),
 *   peer: { hostname: "127.0.0.1", port: 50000, family: "IPv4" },
 *   checkPeerAddress: true,
 * });
 * const address = await channel.listen("127.0.0.1", null);
 * channel.reset();
 * ```
 */
export class DataChannel {
  readonly #options: DataChannelOptions;
  #listener: Listener | null = null;
  #accepted: Promise<Connection> | null = null;
  #active: NetAddress | null = null;

  /**
   * A channel with nothing prepared yet.
   * @param options Adapter and peer.
   */
  constructor(options: DataChannelOptions) {
    this.#options = options;
  }

  /** Whether PASV/EPSV or PORT/EPRT prepared a data connection. */
  get ready(): boolean {
    return this.#listener !== null || this.#active !== null;
  }

  /**
   * Listen for the next data connection on `hostname`, on one of `ports`
   * (any free port when `null`); accepted connections are TLS when `tls` is set.
   * @throws {NoAvailablePortError} when every port of `ports` is taken.
   */
  async listen(
    hostname: string,
    ports: readonly number[] | null,
    tls?: ServerTlsOptions,
  ): Promise<NetAddress> {
    this.reset();
    const listener = await listenOnAny(this.#options.adapter, hostname, ports, tls);
    this.#listener = listener;
    const { checkPeerAddress, peer, onForeignConnection } = this.#options;
    this.#accepted = (async () => {
      while (true) {
        const conn = await listener.accept();
        if (!checkPeerAddress || sameHost(conn.remoteAddress.hostname, peer.hostname)) {
          listener.close();
          return conn;
        }
        onForeignConnection?.(conn.remoteAddress);
        conn.close();
      }
    })();
    this.#accepted.catch(() => {});
    return listener.address;
  }

  /** Connect to `target` for the next transfer (active mode). */
  setActive(target: NetAddress): void {
    this.reset();
    this.#active = target;
  }

  /**
   * The data connection for one transfer, waiting at most `timeoutMs` for the
   * client. With `tls`, an active connection is upgraded (the server is the TLS
   * server on data connections too).
   */
  async open(
    timeoutMs: number,
    signal: AbortSignal,
    tls?: ServerTlsOptions,
  ): Promise<Connection> {
    if (this.#accepted) {
      const conn = await waitFor(this.#accepted, { timeoutMs, signal }, "data connection");
      this.#accepted = null;
      return conn;
    }
    if (this.#active) {
      const { hostname, port } = this.#active;
      const conn = await this.#options.adapter.connect({ hostname, port, timeoutMs, signal });
      if (!tls) return conn;
      try {
        return await waitFor(conn.startTlsServer(tls), { timeoutMs, signal }, "data TLS handshake");
      } catch (err) {
        conn.close();
        throw err;
      }
    }
    throw new SocketError("No data connection prepared", "ENOTCONN");
  }

  /** Forget the prepared connection; close a listener and anything it accepted but nobody used. */
  reset(): void {
    this.#listener?.close();
    this.#listener = null;
    this.#accepted?.then((conn) => conn.close(), () => {});
    this.#accepted = null;
    this.#active = null;
  }
}

/** Whether two IP addresses name the same host (case and IPv4-mapped form ignored). */
export function sameHost(a: string, b: string): boolean {
  const norm = (h: string) => h.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");
  return norm(a) === norm(b);
}

async function listenOnAny(
  adapter: SocketAdapter,
  hostname: string,
  ports: readonly number[] | null,
  tls: ServerTlsOptions | undefined,
): Promise<Listener> {
  if (!ports) return await adapter.listen({ hostname, port: 0, tls });
  for (const port of ports) {
    try {
      return await adapter.listen({ hostname, port, tls });
    } catch (err) {
      if (err instanceof SocketError && (err.code === "EADDRINUSE" || err.code === "EACCES")) {
        continue;
      }
      throw err;
    }
  }
  throw new NoAvailablePortError(`All ${ports.length} data ports are in use`);
}

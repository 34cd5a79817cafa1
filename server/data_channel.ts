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
  /** Connections from the peer's host that arrived on the listener and nobody took yet. */
  #arrived: Connection[] = [];
  /** Wakes `open()` when a connection arrives. */
  #onArrival: (() => void) | null = null;
  #active: NetAddress | null = null;
  /** Counts resets, so a listen() that a reset overtook can tell. */
  #setup = 0;

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
    const setup = this.#setup;
    const listener = await listenOnAny(this.#options.adapter, hostname, ports, tls);
    if (setup !== this.#setup) {
      // reset() ran while the listener was being opened (the session closed, say):
      // nobody would ever close this one, so close it now.
      listener.close();
      throw new SocketError("Data connection setup was reset", "ECONNABORTED");
    }
    this.#listener = listener;
    const arrived: Connection[] = [];
    this.#arrived = arrived;
    const { checkPeerAddress, peer, onForeignConnection } = this.#options;
    // Accept until the transfer takes the connection (or reset() closes the listener,
    // which rejects accept() and ends the loop).
    (async () => {
      while (true) {
        const conn = await listener.accept();
        if (this.#listener !== listener) {
          conn.close();
          return;
        }
        if (!checkPeerAddress || sameHost(conn.remoteAddress.hostname, peer.hostname)) {
          arrived.push(conn);
          this.#onArrival?.();
          continue;
        }
        onForeignConnection?.(conn.remoteAddress);
        conn.close();
      }
    })().catch(() => {});
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
    const listener = this.#listener;
    if (listener) {
      const arrived = this.#arrived;
      if (arrived.length === 0) {
        const arrival = new Promise<void>((resolve) => this.#onArrival = resolve);
        try {
          await waitFor(arrival, { timeoutMs, signal }, "data connection");
        } finally {
          this.#onArrival = null;
        }
        if (this.#listener !== listener) {
          throw new SocketError("Data connection setup was reset", "ECONNABORTED");
        }
      }
      this.#listener = null;
      this.#arrived = [];
      listener.close();
      if (arrived.length > 1) {
        // Clients connect before sending the transfer command, so by now the client's
        // connection is here; a second one is someone else's (on one host, addresses
        // cannot tell them apart: all local clients are 127.0.0.1). Sending or storing
        // either could hand a file to a stranger or report 226 on nothing.
        for (const conn of arrived) conn.close();
        throw new SocketError(
          `${arrived.length} data connections from ${arrived[0].remoteAddress.hostname} (ports ${
            arrived.map((c) => c.remoteAddress.port).join(", ")
          }): cannot tell which one is the client's`,
          "EAMBIGUOUS",
        );
      }
      return arrived[0];
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
    this.#setup++;
    this.#listener?.close();
    this.#listener = null;
    for (const conn of this.#arrived.splice(0)) conn.close();
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

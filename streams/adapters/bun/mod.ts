/**
 * The Bun socket adapter: native `Bun.connect` for outgoing connections
 * (client TLS session resumption works there), `node:net` / `node:tls` for
 * listeners.
 *
 * Listeners go through `node:net` because separate Bun TLS listeners cannot
 * resume each other's sessions, while an FTPS server's data connections must
 * resume the control connection's; with `node:tls` every socket wrapped with
 * the same `ServerTlsOptions` shares one secure context. A native outgoing
 * connection upgraded as the TLS server (an FTPS server's active-mode data
 * connection) uses Bun's `upgradeTLS`, which shares no sessions.
 *
 * @module
 */

import type { Connection, ConnectOptions, Listener, SocketAdapter } from "../../connection.ts";
import { toSocketError } from "../../errors.ts";
import { nodeSocketAdapter } from "../node/mod.ts";
import { raceConnect } from "../_connect_deadline.ts";
import { bunApi } from "./bun_api.ts";
import {
  BUN_ADAPTER_NAME,
  BunConnection,
  bunSessionData,
  serverNameFor,
} from "./bun_connection.ts";

export { BunConnection } from "./bun_connection.ts";

/**
 * The Bun adapter (only usable on Bun).
 *
 * @example
 * ```ts
 * import { bunSocketAdapter } from "@ftpkit/ftp/streams";
 * const listener = await bunSocketAdapter.listen({ port: 0 });
 * const conn = await bunSocketAdapter.connect({ hostname: "127.0.0.1", port: listener.address.port });
 * conn.close();
 * listener.close();
 * ```
 */
export const bunSocketAdapter: SocketAdapter = {
  name: BUN_ADAPTER_NAME,

  connect(options: ConnectOptions): Promise<Connection> {
    const { hostname, port, tls } = options;
    const target = `${hostname}:${port}`;
    const conn = new BunConnection(
      !!tls,
      tls?.rejectUnauthorized ?? true,
      bunSessionData(tls?.session),
    );
    const attempt = (async () => {
      let socket;
      try {
        socket = await bunApi().connect({
          hostname,
          port,
          data: conn,
          allowHalfOpen: true,
          tls: tls
            ? {
              ca: tls.caCerts,
              serverName: tls.serverName ?? serverNameFor(hostname),
              rejectUnauthorized: tls.rejectUnauthorized ?? true,
            }
            : undefined,
          socket: BunConnection.handlers,
        });
      } catch (err) {
        throw toSocketError(err, `connect to ${target}`);
      }
      await conn.opened(socket);
      return conn;
    })();
    return raceConnect(attempt, options, target, (late) => late.close()).catch((err) => {
      conn.close();
      throw err;
    });
  },

  listen(options): Promise<Listener> {
    return nodeSocketAdapter.listen(options);
  },
};

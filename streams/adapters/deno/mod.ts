/**
 * The Deno socket adapter: native `Deno.connect` / `Deno.startTls` for
 * outgoing connections, `node:net` / `node:tls` for listeners.
 *
 * Listeners go through `node:net` because Deno has no server-side TLS on
 * native sockets: an accepted connection could not answer `AUTH TLS`, and
 * separate `Deno.listenTls` listeners cannot resume each other's sessions
 * (FTPS data connections resume the control connection's). Outgoing
 * connections that will need what native Deno lacks (see `tlsUpgrade` in
 * {@linkcode ConnectOptions}) go through `node:net` too.
 *
 * @module
 */

import type { Connection, ConnectOptions, Listener, SocketAdapter } from "../../connection.ts";
import { toSocketError } from "../../errors.ts";
import { nodeSocketAdapter } from "../node/mod.ts";
import { raceConnect } from "../_connect_deadline.ts";
import { type DenoConn, denoApi } from "./deno_api.ts";
import { DenoConnection } from "./deno_connection.ts";

export { DenoConnection } from "./deno_connection.ts";

/**
 * The Deno adapter (only usable on Deno).
 *
 * @example
 * ```ts
 * import { denoSocketAdapter } from "@ftpkit/ftp/streams";
 * const listener = await denoSocketAdapter.listen({ port: 0 });
 * const conn = await denoSocketAdapter.connect({ hostname: "127.0.0.1", port: listener.address.port });
 * conn.close();
 * listener.close();
 * ```
 */
export const denoSocketAdapter: SocketAdapter = {
  name: "deno",

  async connect(options: ConnectOptions): Promise<Connection> {
    if (options.tlsUpgrade || options.tls?.rejectUnauthorized === false) {
      return nodeSocketAdapter.connect(options);
    }
    const deno = denoApi();
    const { hostname, port, tls } = options;
    const target = `${hostname}:${port}`;
    let raw: DenoConn | undefined;
    const attempt = (async () => {
      try {
        raw = await deno.connect({ hostname, port, transport: "tcp" });
      } catch (err) {
        throw toSocketError(err, `connect to ${target}`);
      }
      if (!tls) return new DenoConnection(raw);
      return await new DenoConnection(raw).startTlsClient(tls);
    })();
    try {
      return await raceConnect(attempt, options, target, (late) => late.close());
    } catch (err) {
      try {
        raw?.close();
      } catch { /* already closed, or owned by the TLS layer */ }
      throw err;
    }
  },

  listen(options): Promise<Listener> {
    return nodeSocketAdapter.listen(options);
  },
};

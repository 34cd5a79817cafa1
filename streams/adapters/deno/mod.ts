/**
 * The Deno socket adapter: native `Deno.connect` / `Deno.listen` sockets
 * read through a byte stream; client TLS with native `Deno.startTls`.
 *
 * Deno has no native server-side TLS (no upgrade of an accepted connection,
 * and separate `Deno.listenTls` listeners cannot resume each other's
 * sessions), so the server side of TLS, implicit or upgraded, runs
 * `node:tls` over the native connection with one secure context per
 * `ServerTlsOptions` object. A client that skips certificate checks also goes
 * through `node:tls`. Deno cannot resume a TLS session as a client.
 *
 * @module
 */

import type {
  Connection,
  ConnectOptions,
  Listener,
  ListenOptions,
  SocketAdapter,
} from "../../connection.ts";
import { toSocketError } from "../../errors.ts";
import { raceConnect } from "../_connect_deadline.ts";
import { denoApi, type DenoConn } from "./deno_api.ts";
import { DenoConnection } from "./deno_connection.ts";
import { DenoListener } from "./deno_listener.ts";

export { DenoConnection } from "./deno_connection.ts";
export { DenoListener } from "./deno_listener.ts";
export { DenoConnDuplex } from "./deno_conn_duplex.ts";

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
      const conn = new DenoConnection(raw);
      return tls ? await conn.startTlsClient(tls) : conn;
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

  listen(options: ListenOptions): Promise<Listener> {
    try {
      const listener = denoApi().listen({
        hostname: options.hostname ?? "127.0.0.1",
        port: options.port,
        transport: "tcp",
      });
      return Promise.resolve(new DenoListener(listener, options.tls));
    } catch (err) {
      return Promise.reject(toSocketError(err, `listen on port ${options.port}`));
    }
  },
};

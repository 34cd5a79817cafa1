/**
 * A {@linkcode Listener} over a native `Deno.listen` listener.
 *
 * @module
 */

import type { Connection, Listener, NetAddress, ServerTlsOptions } from "../../connection.ts";
import { AcceptQueue } from "../_accept_queue.ts";
import type { DenoListenerApi } from "./deno_api.ts";
import { DenoConnection } from "./deno_connection.ts";

/** Pause after a failed accept that did not close the listener (e.g. EMFILE). */
const ACCEPT_RETRY_MS = 50;

/**
 * Accepts native Deno connections; with TLS options, each one is wrapped as a
 * TLS server (through `node:tls`, sharing one secure context per options
 * object) before it is handed out. A failed handshake drops only that
 * connection.
 */
export class DenoListener implements Listener {
  readonly address: NetAddress;
  #listener: DenoListenerApi;
  #tls: ServerTlsOptions | undefined;
  #accepted = new AcceptQueue();

  /**
   * Start accepting on `listener`.
   *
   * @param listener A listening `Deno.Listener`; this object owns it.
   * @param tls Server TLS options for implicit TLS.
   */
  constructor(listener: DenoListenerApi, tls?: ServerTlsOptions) {
    this.#listener = listener;
    this.#tls = tls;
    const { hostname, port } = listener.addr;
    this.address = { hostname, port, family: hostname.includes(":") ? "IPv6" : "IPv4" };
    this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#accepted.closed) {
      let native;
      try {
        native = await this.#listener.accept();
      } catch (err) {
        if (this.#accepted.closed) return;
        const name = (err as { name?: unknown } | undefined)?.name;
        if (name === "BadResource" || name === "Interrupted") {
          // The native listener is gone (closed from outside this object).
          this.close();
          return;
        }
        // Transient (EMFILE, ECONNABORTED under load): connections waiting
        // in the backlog are still to be taken, so pause and go on, as Node does.
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      let conn: DenoConnection;
      try {
        conn = new DenoConnection(native);
      } catch {
        // Only this connection failed (reset before it could be set up): drop it,
        // never the listener, and never leave it open unowned.
        try {
          native.close();
        } catch { /* already closed */ }
        continue;
      }
      if (!this.#tls) this.#accepted.deliver(conn);
      else {
        conn.startTlsServer(this.#tls).then((c) => this.#accepted.deliver(c), () => conn.close());
      }
    }
  }

  /** The next connection; rejects with `ConnectionClosedError` once closed. */
  accept(): Promise<Connection> {
    return this.#accepted.accept();
  }

  /** Stop listening; connections already handed out stay open. */
  close(): void {
    if (this.#accepted.closed) return;
    this.#accepted.close();
    try {
      this.#listener.close();
    } catch { /* already closed */ }
  }

  /** Accepted connections until the listener is closed. */
  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }
}

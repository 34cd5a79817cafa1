/**
 * A {@linkcode Listener} over a native `Deno.listen` listener.
 *
 * @module
 */

import type { Connection, Listener, NetAddress, ServerTlsOptions } from "../../connection.ts";
import { ConnectionClosedError } from "../../errors.ts";
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
  #queue: Connection[] = [];
  #waiters: { resolve: (c: Connection) => void; reject: (e: unknown) => void }[] = [];
  #closed = false;

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
    while (!this.#closed) {
      let conn;
      try {
        conn = new DenoConnection(await this.#listener.accept());
      } catch (err) {
        if (this.#closed) return;
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
      if (!this.#tls) this.#deliver(conn);
      else conn.startTlsServer(this.#tls).then((c) => this.#deliver(c), () => conn.close());
    }
  }

  #deliver(conn: Connection): void {
    if (this.#closed) {
      conn.close();
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(conn);
    else this.#queue.push(conn);
  }

  /** The next connection; rejects with `ConnectionClosedError` once closed. */
  accept(): Promise<Connection> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#closed) return Promise.reject(new ConnectionClosedError("Listener closed"));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stop listening; connections already handed out stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch { /* already closed */ }
    for (const conn of this.#queue.splice(0)) conn.close();
    for (const w of this.#waiters.splice(0)) w.reject(new ConnectionClosedError("Listener closed"));
  }

  /** Accepted connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<Connection> {
    while (true) {
      try {
        yield await this.accept();
      } catch (err) {
        if (this.#closed) return;
        throw err;
      }
    }
  }
}

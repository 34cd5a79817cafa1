/**
 * The hand-over between a runtime's accept loop and `Listener.accept()`,
 * shared by the adapters' listeners.
 *
 * @module
 */

import type { Connection } from "../connection.ts";
import { ConnectionClosedError } from "../errors.ts";

/**
 * Connections accepted by a runtime but not yet taken with `accept()`, and the
 * `accept()` calls waiting for one. Once closed, queued and late connections
 * are closed and waiting calls reject with `ConnectionClosedError`.
 */
export class AcceptQueue implements AsyncIterable<Connection> {
  #queue: Connection[] = [];
  #waiters: { resolve: (c: Connection) => void; reject: (e: unknown) => void }[] = [];
  #closed = false;

  /** Whether {@linkcode AcceptQueue.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hand `conn` to the oldest waiting `accept()`, or queue it (closed queue: close it). */
  deliver(conn: Connection): void {
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

  /** Close queued connections and reject waiting calls with `reason`. Idempotent. */
  close(reason: Error = new ConnectionClosedError("Listener closed")): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const conn of this.#queue.splice(0)) conn.close();
    for (const w of this.#waiters.splice(0)) w.reject(reason);
  }

  /** Accepted connections until the queue is closed. */
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

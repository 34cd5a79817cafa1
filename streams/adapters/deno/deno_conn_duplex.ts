/**
 * A `node:stream` Duplex over a native Deno connection, so that `node:tls`
 * can run on top of it (Deno has no native server-side TLS).
 *
 * @module
 */

import { Duplex } from "node:stream";
import type { FlowControl } from "../node/mod.ts";
import type { DenoConn } from "./deno_api.ts";

/** Ciphertext read per `conn.read`. */
const READ_SIZE = 64 * 1024;

/**
 * Carries the bytes of a native Deno connection for a `node:tls` socket.
 *
 * Its {@linkcode DenoConnDuplex.flow} is the flow control of the TLS
 * connection on top, so the TLS socket itself is never paused (on Deno 2.9 a
 * paused `node:tls` socket can lose the peer's end of stream).
 *
 * @example
 * ```ts
 * import * as tls from "node:tls";
 * import { DenoConnDuplex } from "./deno_conn_duplex.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 990 });
 * const secure = tls.connect({ socket: new DenoConnDuplex(conn), servername: "localhost" });
 * ```
 */
export class DenoConnDuplex extends Duplex {
  #conn: DenoConn;
  #held = false;
  #wanted = false;
  #reading = false;

  /**
   * Carry `conn`.
   *
   * @param conn A connected native Deno connection; this stream owns it from now on.
   */
  constructor(conn: DenoConn) {
    super({ allowHalfOpen: true });
    this.#conn = conn;
  }

  /**
   * Backpressure for the connection on top: `pause()` stops reading the Deno
   * connection, `resume()` reads again. Kept apart from the stream's own
   * `pause()`/`resume()`, which the TLS layer uses for itself.
   */
  readonly flow: FlowControl = {
    pause: () => {
      this.#held = true;
    },
    resume: () => {
      this.#held = false;
      this.#pump();
    },
  };

  /** Starts reading the connection (Duplex internals). */
  override _read(): void {
    this.#wanted = true;
    this.#pump();
  }

  /** Writes all of `chunk` to the connection (Duplex internals). */
  override _write(
    chunk: Uint8Array,
    _encoding: string,
    callback: (err?: Error | null) => void,
  ): void {
    this.#writeAll(chunk).then(() => callback(), callback);
  }

  /** Half-closes the connection (Duplex internals). */
  override _final(callback: (err?: Error | null) => void): void {
    this.#conn.closeWrite().then(() => callback(), callback);
  }

  /** Closes the connection (Duplex internals). */
  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    callback(err);
  }

  async #writeAll(chunk: Uint8Array): Promise<void> {
    let written = 0;
    while (written < chunk.byteLength) {
      written += await this.#conn.write(written ? chunk.subarray(written) : chunk);
    }
  }

  async #pump(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    try {
      while (this.#wanted && !this.#held && !this.destroyed) {
        const buffer = new Uint8Array(READ_SIZE);
        const n = await this.#conn.read(buffer);
        if (n === null) {
          this.push(null);
          return;
        }
        this.#wanted = this.push(buffer.subarray(0, n));
      }
    } catch (err) {
      this.destroy(err as Error);
    } finally {
      this.#reading = false;
    }
  }
}

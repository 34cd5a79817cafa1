/**
 * Helpers of the socket adapter conformance tests.
 *
 * @module
 */

import type { Connection, Listener, ListenOptions, SocketAdapter } from "../../streams/mod.ts";
import { detectSocketAdapter, nodeSocketAdapter } from "../../streams/mod.ts";
import { pseudoRandomStream, RUNTIME, sha256Stream } from "../_helpers.ts";

/** The runtime's own adapter and the node:net one (once, on Node). */
export function adaptersUnderTest(): SocketAdapter[] {
  const detected = detectSocketAdapter();
  return detected === nodeSocketAdapter ? [detected] : [detected, nodeSocketAdapter];
}

/**
 * Why bulk TLS through this adapter cannot be tested reliably on this runtime,
 * or `undefined`. On Deno 2.9 a `node:tls` socket that is paused (the node
 * adapter's backpressure) can lose the peer's end of stream, so a transfer
 * hangs at its end; the deno adapter never pauses its TLS sockets.
 */
export function pausedTlsCaveat(adapter: SocketAdapter): string | undefined {
  return RUNTIME === "deno" && adapter.name === "node"
    ? "Deno 2.9 node:tls loses the end of stream of a paused TLS socket (use the deno adapter)"
    : undefined;
}

/** Reject with a readable message if `promise` takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]);
}

/**
 * A listener whose connections are handed to `serve` one by one; `stop()`
 * closes the listener and every accepted connection.
 */
export async function startServer(
  adapter: SocketAdapter,
  options: Omit<ListenOptions, "port"> & { port?: number },
  serve: (conn: Connection) => Promise<unknown>,
): Promise<{ listener: Listener; port: number; served: Promise<unknown>[]; stop(): void }> {
  const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0, ...options });
  const accepted: Connection[] = [];
  const served: Promise<unknown>[] = [];
  (async () => {
    for await (const conn of listener) {
      accepted.push(conn);
      served.push(serve(conn).catch((err) => err));
    }
  })().catch(() => {});
  return {
    listener,
    port: listener.address.port,
    served,
    stop() {
      listener.close();
      for (const conn of accepted) conn.close();
    },
  };
}

/** Sends everything it reads back, then half-closes. */
export function echo(conn: Connection): Promise<void> {
  return conn.readable.pipeTo(conn.writable);
}

/** Hex SHA-256 and length of `total` pseudo-random bytes in 1 MiB chunks. */
export function expectedDigest(total: number, seed = 7): Promise<{ hex: string; bytes: number }> {
  return sha256Stream(pseudoRandomStream(total, 1024 * 1024, seed));
}

/**
 * Writes `total` pseudo-random bytes in 1 MiB chunks (then half-closes) while
 * hashing what comes back.
 */
export async function roundTrip(
  conn: Connection,
  total: number,
  seed = 7,
): Promise<{ hex: string; bytes: number }> {
  const [, received] = await Promise.all([
    pseudoRandomStream(total, 1024 * 1024, seed).pipeTo(conn.writable),
    sha256Stream(conn.readable),
  ]);
  return received;
}

/** Write a text line with a one-off writer, leaving the writable unlocked. */
export async function writeText(conn: Connection, text: string): Promise<void> {
  const writer = conn.writable.getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
  } finally {
    writer.releaseLock();
  }
}

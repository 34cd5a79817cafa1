/**
 * The server's events, delivered through a standard `EventTarget`.
 *
 * @module
 */

import type { NetAddress } from "../streams/connection.ts";
import type { User } from "./user.ts";

/** What each server event carries. */
export interface ServerEventMap {
  /** A client connected (before the greeting). */
  connect: { sessionId: number; remoteAddress: NetAddress };
  /** A client logged in. */
  login: { sessionId: number; user: User; login: string };
  /** A logged-in client logged out or went away. */
  logout: { sessionId: number; user: User };
  /** An upload (STOR, APPE, STOU) completed. */
  upload: { sessionId: number; user: User; path: string; size: number };
  /** A download (RETR) completed. */
  download: { sessionId: number; user: User; path: string; size: number };
  /** A client's connection ended. */
  disconnect: { sessionId: number; remoteAddress: NetAddress };
  /** Something failed: a handler, a transfer, a refused connection. */
  error: { sessionId?: number; error: unknown };
}

/** Names of the server's events. */
export type ServerEventName = keyof ServerEventMap;

/**
 * A typed layer over `EventTarget`: `on` returns a function that unsubscribes.
 *
 * @example
 * ```ts
 * import { ServerEvents } from "@ftpkit/ftp/server";
 * const events = new ServerEvents();
 * const off = events.on("upload", (e) => console.log(e.path, e.size));
 * off();
 * ```
 */
export class ServerEvents {
  readonly #target = new EventTarget();
  /** Listeners per event name: `emit` skips building an event nobody listens to. */
  readonly #listeners = new Map<ServerEventName, number>();

  /** Subscribe to `name`; returns the unsubscribe function. */
  on<K extends ServerEventName>(
    name: K,
    listener: (detail: ServerEventMap[K]) => void,
  ): () => void {
    const wrapped = (event: Event) => listener((event as CustomEvent<ServerEventMap[K]>).detail);
    this.#target.addEventListener(name, wrapped);
    this.#listeners.set(name, (this.#listeners.get(name) ?? 0) + 1);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.#target.removeEventListener(name, wrapped);
      this.#listeners.set(name, this.#listeners.get(name)! - 1);
    };
  }

  /** Whether anyone listens to `name` (callers may skip building costly details). */
  has(name: ServerEventName): boolean {
    return (this.#listeners.get(name) ?? 0) > 0;
  }

  /** Deliver `detail` to the listeners of `name`. A throwing listener does not disturb the server. */
  emit<K extends ServerEventName>(name: K, detail: ServerEventMap[K]): void {
    if (!this.has(name)) return;
    try {
      this.#target.dispatchEvent(new CustomEvent(name, { detail }));
    } catch {
      // Listener errors are the listener's business; the session goes on.
    }
  }
}

/**
 * A {@linkcode Connection} over a native Bun socket (`Bun.connect`).
 *
 * @module
 */

import type {
  ClientTlsOptions,
  Connection,
  NetAddress,
  ServerTlsOptions,
  TlsInfo,
  TlsSession,
} from "../../connection.ts";
import { ConnectionClosedError, FtpError, type SocketError, toSocketError } from "../../errors.ts";
import type { BunSocket, BunSocketHandlers, BunTlsOptions } from "./bun_api.ts";

/** Name stored in the sessions this adapter produces. */
export const BUN_ADAPTER_NAME = "bun";
/**
 * Bytes the readable side queues before the socket is paused. Per connection:
 * a server with 200 uploading clients holds up to 200 times this, so it stays
 * small (four 64 KiB socket reads); the kernel's buffers keep the pipe full.
 */
const READ_HIGH_WATER = 256 * 1024;

function toAddress(hostname: string, port: number): NetAddress {
  const v4 = hostname.startsWith("::ffff:") ? hostname.slice(7) : hostname;
  const v6 = v4.includes(":");
  return { hostname: v6 ? hostname : v4, port, family: v6 ? "IPv6" : "IPv4" };
}

/** What the handlers are waiting for before the connection is usable. */
type Opening = { resolve: () => void; reject: (err: SocketError) => void };

/**
 * A {@linkcode Connection} over a Bun socket. Bun pushes data into handlers,
 * so reads go into a queue of at most 1 MiB, and the socket is paused
 * whenever the queue is full. Bun keeps no copy of bytes a `write` did not
 * accept: the rest waits here and is resent on `drain`, and `write()` resolves
 * only once all of it is in the kernel.
 *
 * Created by {@linkcode bunSocketAdapter}.
 */
export class BunConnection implements Connection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly closed: Promise<void>;
  #socket!: BunSocket<BunConnection>;
  #secure: boolean;
  #rejectUnauthorized: boolean;
  #offerSession: unknown;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #readDone = false;
  #paused = false;
  #upgraded = false;
  #isClosed = false;
  #closedByUs = false;
  #failure: SocketError | undefined;
  #pendingWrite:
    | { rest: Uint8Array; resolve: () => void; reject: (err: SocketError) => void }
    | undefined;
  #opening: Opening | undefined;
  #handshakeDone = false;
  /** The TLS connection that replaced this one. */
  #successor: BunConnection | undefined;
  #resolveClosed!: () => void;
  #addressCache: { local: NetAddress; remote: NetAddress } | undefined;
  #tlsInfo: TlsInfo | undefined;

  /** The shared event handlers; each socket's `data` is its connection. */
  static readonly handlers: BunSocketHandlers<BunConnection> = {
    open: (s) => s.data.#onOpen(s),
    data: (s, bytes) => s.data.#onData(bytes),
    drain: (s) => s.data.#onDrain(),
    end: (s) => s.data.#onEnd(),
    close: (s, err) => s.data.#onClose(err),
    error: (s, err) => s.data.#onError(err),
    connectError: (s, err) => s.data.#onError(err),
    handshake: (s, ok, authError) => s.data.#onHandshake(ok, authError),
  };

  /**
   * A connection waiting for its socket (see {@linkcode BunConnection.opened}).
   *
   * @param secure Whether the socket this connection gets will speak TLS.
   * @param rejectUnauthorized For TLS clients: fail the handshake on certificate errors.
   * @param offerSession A session to resume, set on the socket once it opens.
   */
  constructor(secure = false, rejectUnauthorized = true, offerSession?: unknown) {
    this.#secure = secure;
    this.#rejectUnauthorized = rejectUnauthorized;
    this.#offerSession = offerSession;
    this.closed = new Promise<void>((resolve) => this.#resolveClosed = resolve);
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        if (this.#paused) {
          this.#paused = false;
          this.#socket?.resume();
        }
      },
      cancel: () => {
        this.#readDone = true;
        // Keep draining so that the peer is not stalled by a cancelled reader.
        this.#paused = false;
        this.#socket?.resume();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: READ_HIGH_WATER }));

    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.#write(chunk),
      close: () => {
        if (!this.#isClosed) this.#socket.shutdown();
      },
      abort: () => this.close(),
    }, { highWaterMark: 1 });
  }

  /**
   * Resolves once the socket is open (and, for TLS, the handshake is done).
   * @internal Called by the adapter right after creating the socket.
   */
  opened(socket: BunSocket<BunConnection>): Promise<void> {
    this.#socket = socket;
    if (this.#failure) return Promise.reject(this.#failure);
    this.#addresses();
    if (!this.#secure || this.#handshakeDone) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#opening = { resolve, reject });
  }

  get localAddress(): NetAddress {
    return this.#addresses().local;
  }

  get remoteAddress(): NetAddress {
    return this.#addresses().remote;
  }

  get tls(): TlsInfo | null {
    if (!this.#secure) return null;
    return this.#tlsInfo ?? this.#captureTls();
  }

  closeWrite(): Promise<void> {
    return this.writable.close();
  }

  close(): void {
    // After an upgrade started, closing this object closes (or aborts) the TLS connection.
    if (this.#upgraded) this.#successor?.close();
    if (this.#isClosed || this.#upgraded) return;
    this.#closedByUs = true;
    // `close()` rather than `end()`, which on TLS waits for the peer's
    // close_notify (forever if the peer keeps its side open or the socket is
    // paused); `terminate()` would reset the connection.
    this.#socket?.close();
  }

  tlsSession(): TlsSession | undefined {
    if (!this.#secure || this.#isClosed) return undefined;
    // Taken now rather than at the handshake: a TLS 1.3 session is resumable
    // only once the server's ticket has arrived with its first data.
    const data = this.#socket.getSession();
    return data ? { adapter: BUN_ADAPTER_NAME, data } : undefined;
  }

  startTlsClient(options: ClientTlsOptions = {}): Promise<Connection> {
    return this.#upgrade(
      {
        ca: options.caCerts,
        serverName: options.serverName ?? serverNameFor(this.remoteAddress.hostname),
        rejectUnauthorized: options.rejectUnauthorized ?? true,
      },
      new BunConnection(true, options.rejectUnauthorized ?? true, bunSessionData(options.session)),
      false,
    );
  }

  startTlsServer(options: ServerTlsOptions): Promise<Connection> {
    return this.#upgrade(
      { cert: options.cert, key: options.key, ca: options.ca, minVersion: options.minVersion },
      // The server side does not check client certificates here.
      new BunConnection(true, false),
      true,
    );
  }

  async #upgrade(
    tls: BunTlsOptions,
    next: BunConnection,
    isServer: boolean,
  ): Promise<Connection> {
    if (this.#secure) throw new FtpError("Connection is already secure");
    if (this.readable.locked || this.writable.locked) {
      throw new FtpError("Release the connection's readable and writable before starting TLS");
    }
    if (this.#isClosed) throw new ConnectionClosedError("Connection closed before TLS started");
    // The plain handlers go on receiving the ciphertext: they must drop it.
    this.#upgraded = true;
    this.#successor = next;
    this.#resumeIfPaused();
    const [, secure] = this.#socket.upgradeTLS({
      data: next,
      tls,
      isServer,
      socket: BunConnection.handlers,
    });
    next.#offerOn(secure);
    next.closed.then(this.#resolveClosed);
    try {
      await next.opened(secure);
    } catch (err) {
      next.close();
      throw err;
    }
    return next;
  }

  #write(chunk: Uint8Array): Promise<void> | void {
    if (this.#isClosed) throw this.#failure ?? new ConnectionClosedError("write after close");
    const written = this.#socket.write(chunk);
    if (written === chunk.byteLength) return;
    if (written < 0) throw this.#failure ?? new ConnectionClosedError("write after close");
    return new Promise<void>((resolve, reject) => {
      this.#pendingWrite = { rest: chunk.subarray(written), resolve, reject };
    });
  }

  /** Protocol and resumption, read once the handshake is done (a closed socket forgets them). */
  #captureTls(): TlsInfo {
    this.#tlsInfo = {
      protocol: this.#socket.getTLSVersion() ?? undefined,
      sessionReused: this.#socket.isSessionReused(),
    };
    return this.#tlsInfo;
  }

  /** Read from the socket while it is open, then kept (a closed socket forgets them). */
  #addresses(): { local: NetAddress; remote: NetAddress } {
    this.#addressCache ??= {
      local: toAddress(this.#socket.localAddress ?? "", this.#socket.localPort ?? 0),
      remote: toAddress(this.#socket.remoteAddress ?? "", this.#socket.remotePort ?? 0),
    };
    return this.#addressCache;
  }

  #onOpen(socket: BunSocket<BunConnection>): void {
    this.#socket = socket;
    socket.setNoDelay(true);
    this.#offerOn(socket);
  }

  /** Offer the session to resume, once, before the ClientHello goes out. */
  #offerOn(socket: BunSocket<BunConnection>): void {
    if (this.#offerSession === undefined) return;
    socket.setSession(this.#offerSession);
    this.#offerSession = undefined;
  }

  #onHandshake(ok: boolean, authError: Error | null): void {
    if (this.#handshakeDone) return;
    const failed = !ok || (this.#rejectUnauthorized && authError);
    if (failed) {
      const err = toSocketError(authError ?? new Error("TLS handshake failed"), "TLS handshake");
      this.#failure = err;
      this.#opening?.reject(err);
      this.#opening = undefined;
      this.#socket.terminate();
      return;
    }
    this.#handshakeDone = true;
    this.#captureTls();
    this.#opening?.resolve();
    this.#opening = undefined;
  }

  #onData(bytes: Uint8Array): void {
    if (this.#upgraded || this.#readDone || this.#closedByUs) return;
    this.#controller.enqueue(bytes);
    if ((this.#controller.desiredSize ?? 0) <= 0 && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #onDrain(): void {
    const pending = this.#pendingWrite;
    if (!pending) return;
    const written = this.#socket.write(pending.rest);
    if (written === pending.rest.byteLength) {
      this.#pendingWrite = undefined;
      pending.resolve();
    } else if (written > 0) {
      pending.rest = pending.rest.subarray(written);
    }
  }

  #onEnd(): void {
    if (this.#upgraded || this.#readDone) return;
    this.#readDone = true;
    this.#controller.close();
  }

  #onError(err: Error): void {
    if (this.#upgraded) return;
    this.#failure ??= toSocketError(err, this.#secure ? "TLS" : "socket");
  }

  #onClose(err?: Error): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (err) this.#onError(err);
    const failure = this.#failure ?? new ConnectionClosedError("Connection closed");
    this.#opening?.reject(failure);
    this.#opening = undefined;
    if (!this.#upgraded) {
      if (!this.#readDone) {
        this.#readDone = true;
        // Bun may report the peer's FIN only as `close` once this side has
        // shut down its writing: without an error that is the end of stream.
        if (!this.#failure && !this.#closedByUs) this.#controller.close();
        else {
          this.#controller.error(
            this.#failure ?? new ConnectionClosedError("Connection closed before end of stream"),
          );
        }
      }
      this.#pendingWrite?.reject(failure);
      this.#pendingWrite = undefined;
      this.#resolveClosed();
    }
  }

  #resumeIfPaused(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
  }
}

/** The Bun session inside `session`, if this adapter made it. */
export function bunSessionData(session: TlsSession | undefined): unknown {
  return session?.adapter === BUN_ADAPTER_NAME ? session.data : undefined;
}

/** SNI takes host names only. */
export function serverNameFor(host: string): string | undefined {
  return /^[\d.]+$/.test(host) || host.includes(":") ? undefined : host;
}

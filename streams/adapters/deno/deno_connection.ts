/**
 * A {@linkcode Connection} over a native `Deno.Conn` / `Deno.TlsConn`.
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
import { startTlsClientOver, startTlsServerOver } from "../node/mod.ts";
import { denoApi, type DenoConn, type DenoNetAddr } from "./deno_api.ts";
import { DenoConnDuplex } from "./deno_conn_duplex.ts";

/** Smallest and largest buffer a default (non-BYOB) read allocates. */
const MIN_READ = 16 * 1024;
const MAX_READ = 1024 * 1024;

function toAddress(addr: DenoNetAddr): NetAddress {
  const v4 = addr.hostname.startsWith("::ffff:") ? addr.hostname.slice(7) : addr.hostname;
  return {
    hostname: v4.includes(":") ? addr.hostname : v4,
    port: addr.port,
    family: v4.includes(":") ? "IPv6" : "IPv4",
  };
}

/**
 * A {@linkcode Connection} over a native Deno connection.
 *
 * `readable` is a byte stream: BYOB readers read straight into their own
 * buffer; default readers get chunks from a buffer that grows from 16 KiB to
 * 1 MiB while reads fill it (so idle control connections hold little memory
 * and bulk transfers make few reads). Nothing is read ahead of the consumer,
 * so the kernel's socket buffer is the only read buffer.
 *
 * TLS: client upgrades use native `Deno.startTls`; the server side (and a
 * client that skips certificate checks) runs `node:tls` over the native
 * connection, since Deno has no native API for them. Deno cannot resume a TLS
 * session as a client, so {@linkcode DenoConnection.tlsSession} is always
 * `undefined`.
 *
 * @example
 * ```ts
 * import { DenoConnection } from "@ftpkit/ftp/streams";
 * const conn = new DenoConnection(await Deno.connect({ hostname: "127.0.0.1", port: 21 }));
 * conn.close();
 * ```
 */
export class DenoConnection implements Connection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  readonly closed: Promise<void>;
  #conn: DenoConn;
  #secure: boolean;
  #readDone = false;
  #writeDone = false;
  #reading = false;
  #closedByUs = false;
  #released = false;
  /**
   * What replaced this connection once an upgrade started: closing this
   * object closes it, which also cancels a handshake in progress.
   */
  #successor: { close(): void } | undefined;
  #resolveClosed!: () => void;

  /**
   * Wrap a native Deno connection.
   *
   * @param conn A connected `Deno.Conn`, or a `Deno.TlsConn` whose handshake finished.
   * @param secure Whether `conn` is a TLS connection.
   */
  constructor(conn: DenoConn, secure = false) {
    this.#conn = conn;
    this.#secure = secure;
    conn.setNoDelay?.(true);
    this.localAddress = toAddress(conn.localAddr);
    this.remoteAddress = toAddress(conn.remoteAddr);
    this.closed = new Promise<void>((resolve) => this.#resolveClosed = resolve);

    let readSize = MIN_READ;
    this.readable = new ReadableStream({
      type: "bytes",
      pull: async (controller) => {
        const request = controller.byobRequest;
        const target = request?.view
          ? new Uint8Array(request.view.buffer, request.view.byteOffset, request.view.byteLength)
          : new Uint8Array(readSize);
        let n: number | null;
        this.#reading = true;
        try {
          n = await conn.read(target);
        } catch (err) {
          this.#reading = false;
          // A TLS peer that closes without close_notify ends the stream, as
          // with node:tls; FTP checks completeness with its replies.
          if ((err as { name?: string }).name === "UnexpectedEof") n = null;
          else {
            this.#readDone = true;
            controller.error(this.#readError(err));
            this.#settle();
            return;
          }
        }
        this.#reading = false;
        if (n === null) {
          this.#readDone = true;
          controller.close();
          request?.respond(0);
          this.#settle();
          return;
        }
        if (request?.view) {
          request.respond(n);
          return;
        }
        if (n === readSize && readSize < MAX_READ) readSize *= 2;
        else if (n < readSize / 4 && readSize > MIN_READ) readSize /= 2;
        // A mostly empty buffer is copied so that small chunks do not pin large ones.
        controller.enqueue(n < target.byteLength / 4 ? target.slice(0, n) : target.subarray(0, n));
      },
      cancel: () => {
        this.#readDone = true;
        this.#settle();
      },
    });

    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        try {
          let written = 0;
          while (written < chunk.byteLength) {
            written += await conn.write(written ? chunk.subarray(written) : chunk);
          }
        } catch (err) {
          const ours = this.#closedByUs || isClosedResource(err);
          this.#writeDone = true;
          this.close();
          throw ours
            ? new ConnectionClosedError("Connection closed while writing", { cause: err })
            : toSocketError(err, "write");
        }
      },
      close: async () => {
        try {
          await conn.closeWrite();
        } catch (err) {
          // Already closed by the peer or by close(): nothing left to flush.
          if (!isClosedResource(err)) throw toSocketError(err, "close write");
        } finally {
          this.#writeDone = true;
          this.#settle();
        }
      },
      abort: () => {
        this.#writeDone = true;
        this.close();
      },
    }, { highWaterMark: 1 });
  }

  get tls(): TlsInfo | null {
    // Deno reports neither the protocol version nor resumption.
    return this.#secure ? {} : null;
  }

  closeWrite(): Promise<void> {
    return this.writable.close();
  }

  close(): void {
    if (this.#released) {
      this.#successor?.close();
      return;
    }
    this.#closedByUs = true;
    this.#release();
  }

  /** Deno has no API to resume a TLS session as a client: always `undefined`. */
  tlsSession(): TlsSession | undefined {
    return undefined;
  }

  /**
   * Native `Deno.startTls`, except with `rejectUnauthorized: false`, which
   * Deno cannot do natively: then `node:tls` runs over this connection.
   */
  async startTlsClient(options: ClientTlsOptions = {}): Promise<Connection> {
    const conn = this.#prepareUpgrade();
    this.#successor = { close: () => closeQuietly(conn) };
    try {
      if (options.rejectUnauthorized === false) {
        const duplex = new DenoConnDuplex(conn);
        this.#successor = { close: () => duplex.destroy() };
        return this.#follow(
          await startTlsClientOver(duplex, options, this.remoteAddress.hostname, {
            flow: duplex.flow,
            localAddress: this.localAddress,
            remoteAddress: this.remoteAddress,
          }),
        );
      }
      const secure = await denoApi().startTls(conn, {
        hostname: options.serverName ?? this.remoteAddress.hostname,
        caCerts: options.caCerts,
      });
      this.#successor = { close: () => closeQuietly(secure) };
      await secure.handshake?.();
      return this.#follow(new DenoConnection(secure, true));
    } catch (err) {
      try {
        conn.close();
      } catch { /* the TLS layer may own it already */ }
      this.#resolveClosed();
      throw toSocketError(err, "TLS handshake");
    }
  }

  /**
   * Deno has no native server-side TLS: `node:tls` runs over this connection,
   * with the secure context shared by every use of the same `options` object.
   */
  async startTlsServer(options: ServerTlsOptions): Promise<Connection> {
    const duplex = new DenoConnDuplex(this.#prepareUpgrade());
    this.#successor = { close: () => duplex.destroy() };
    try {
      return this.#follow(
        await startTlsServerOver(duplex, options, {
          flow: duplex.flow,
          localAddress: this.localAddress,
          remoteAddress: this.remoteAddress,
        }),
      );
    } catch (err) {
      duplex.destroy();
      this.#resolveClosed();
      throw err;
    }
  }

  /** This object's `closed` follows the connection that replaced it. */
  #follow(upgraded: Connection): Connection {
    this.#successor = upgraded;
    upgraded.closed.then(this.#resolveClosed);
    return upgraded;
  }

  #prepareUpgrade(): DenoConn {
    if (this.#secure) throw new FtpError("Connection is already secure");
    if (this.readable.locked || this.writable.locked || this.#reading) {
      throw new FtpError("Release the connection's readable and writable before starting TLS");
    }
    if (this.#released) throw new ConnectionClosedError("Connection closed before TLS started");
    // From here on the TLS connection owns the resource; close() must not touch it.
    this.#released = true;
    return this.#conn;
  }

  #readError(err: unknown): SocketError {
    if (this.#closedByUs || isClosedResource(err)) {
      return new ConnectionClosedError("Connection closed before end of stream", { cause: err });
    }
    return toSocketError(err, "read");
  }

  /** Closes the resource once both directions are finished. */
  #settle(): void {
    if (this.#readDone && this.#writeDone) this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    this.#resolveClosed();
  }
}

function closeQuietly(conn: DenoConn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

function isClosedResource(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === "BadResource" || name === "Interrupted" || name === "NotConnected";
}

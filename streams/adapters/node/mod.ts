/**
 * The `node:net` / `node:tls` socket adapter. It is the adapter for Node and
 * works unchanged on Deno and Bun through their Node compatibility layers.
 *
 * Reads go through a small hand adapter (`pause()`/`resume()` driven by the
 * stream's `desiredSize`) rather than `Readable.toWeb`, which costs about 40%
 * of throughput on Node 20.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import type { Duplex } from "node:stream";
import type {
  ClientTlsOptions,
  Connection,
  ConnectOptions,
  Listener,
  ListenOptions,
  NetAddress,
  ServerTlsOptions,
  SocketAdapter,
  TlsInfo,
  TlsSession,
} from "../../connection.ts";
import { ConnectionClosedError, FtpError, SocketError, toSocketError } from "../../errors.ts";
import { AcceptQueue } from "../_accept_queue.ts";

const ADAPTER = "node";
/**
 * Bytes the readable side queues before the socket is paused. Per connection:
 * a server with 200 uploading clients holds up to 200 times this, so it stays
 * small (four 64 KiB socket reads); the kernel's buffers keep the pipe full.
 */
const READ_HIGH_WATER = 256 * 1024;

const secureContexts = new WeakMap<ServerTlsOptions, tls.SecureContext>();

/**
 * The secure context for `options`, created once per options object so that
 * every socket wrapped with the same options shares session tickets.
 */
export function secureContextFor(options: ServerTlsOptions): tls.SecureContext {
  let context = secureContexts.get(options);
  if (!context) {
    context = tls.createSecureContext({
      cert: options.cert,
      key: options.key,
      ca: options.ca,
      minVersion: options.minVersion ?? "TLSv1.2",
    });
    secureContexts.set(options, context);
  }
  return context;
}

function address(host: string | undefined, port: number | undefined): NetAddress {
  const hostname = host ?? "";
  return {
    hostname: hostname.startsWith("::ffff:") && net.isIPv4(hostname.slice(7))
      ? hostname.slice(7)
      : hostname,
    port: port ?? 0,
    family: net.isIPv6(hostname) && !hostname.startsWith("::ffff:") ? "IPv6" : "IPv4",
  };
}

/** Pauses and resumes the bytes arriving on a socket. */
export interface FlowControl {
  /** Stop delivering data for now. */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
}

/** Options of {@linkcode NodeConnection} for sockets over another transport. */
export interface NodeConnectionOptions {
  /**
   * Where to apply backpressure instead of `socket.pause()`: the transport
   * under a TLS socket, so that the TLS socket itself is never paused (on
   * Deno 2.9 a paused TLS socket can lose the peer's end of stream).
   */
  flow?: FlowControl;
  /** This side's address, when the socket does not know it. */
  localAddress?: NetAddress;
  /** The peer's address, when the socket does not know it. */
  remoteAddress?: NetAddress;
}

/**
 * A {@linkcode Connection} over a `node:net` or `node:tls` socket.
 *
 * @example
 * ```ts
 * import * as net from "node:net";
 * import { NodeConnection } from "@ftpkit/ftp/streams";
 * const socket = net.connect({ host: "127.0.0.1", port: 21, allowHalfOpen: true });
 * socket.once("connect", () => {
 *   const conn = new NodeConnection(socket);
 *   conn.close();
 * });
 * ```
 */
export class NodeConnection implements Connection {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly localAddress: NetAddress;
  readonly remoteAddress: NetAddress;
  readonly closed: Promise<void>;
  #socket: net.Socket;
  #session: unknown;
  #detach: () => void;
  #secure: boolean;

  /**
   * Wrap a connected socket.
   *
   * @param socket A connected socket (created with `allowHalfOpen: true` for half-close).
   * @param options Flow control and addresses for sockets that run over
   *   another transport (a TLS layer over a JS stream).
   */
  constructor(socket: net.Socket, options: NodeConnectionOptions = {}) {
    this.#socket = socket;
    this.#secure = socket instanceof tls.TLSSocket;
    if (!options.flow) socket.setNoDelay(true);
    const flow = options.flow ?? socket;
    this.localAddress = options.localAddress ?? address(socket.localAddress, socket.localPort);
    this.remoteAddress = options.remoteAddress ??
      address(socket.remoteAddress, socket.remotePort);
    this.closed = new Promise<void>((resolve) => {
      if (socket.destroyed) resolve();
      else socket.once("close", () => resolve());
    });
    if (this.#secure) {
      const tlsSocket = socket as tls.TLSSocket;
      tlsSocket.on("session", (session: Buffer) => this.#session = session);
    }

    let readController!: ReadableStreamDefaultController<Uint8Array>;
    let readDone = false;
    const onData = (chunk: Buffer) => {
      if (readDone) return;
      readController.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((readController.desiredSize ?? 0) <= 0) flow.pause();
    };
    const onEnd = () => {
      if (readDone) return;
      readDone = true;
      readController.close();
    };
    const onError = (err: Error) => {
      if (readDone) return;
      readDone = true;
      readController.error(toSocketError(err, "read"));
    };
    const onClose = () => {
      if (readDone) return;
      readDone = true;
      readController.error(new ConnectionClosedError("Connection closed before end of stream"));
    };
    this.readable = new ReadableStream<Uint8Array>({
      start(controller) {
        readController = controller;
      },
      pull() {
        flow.resume();
      },
      cancel() {
        readDone = true;
        socket.removeListener("data", onData);
        flow.resume(); // keep draining so the peer is not stalled by a cancelled reader
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: READ_HIGH_WATER }));
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("close", onClose);
    this.#detach = () => {
      socket.removeListener("data", onData);
      socket.removeListener("end", onEnd);
      socket.removeListener("error", onError);
      socket.removeListener("close", onClose);
    };

    this.writable = new WritableStream<Uint8Array>({
      write(chunk) {
        // Settles in the write callback, when Node has passed the chunk to the
        // kernel (or the TLS layer) and holds it no more, so callers may reuse
        // the buffer. `close`/`error` settle it too: some compat layers drop
        // the callback of a write cut short.
        return new Promise<void>((resolve, reject) => {
          if (socket.destroyed || !socket.writable) {
            reject(new ConnectionClosedError("write after close"));
            return;
          }
          const done = (err?: Error | null) => {
            socket.removeListener("close", onGone);
            socket.removeListener("error", done);
            if (err) reject(toSocketError(err, "write"));
            else resolve();
          };
          const onGone = () => done(new ConnectionClosedError("Connection closed while writing"));
          socket.once("close", onGone);
          socket.once("error", done);
          socket.write(chunk, done);
        });
      },
      close() {
        return endSocket(socket);
      },
      abort() {
        socket.destroy();
      },
    }, { highWaterMark: 1 });
  }

  get tls(): TlsInfo | null {
    if (!this.#secure) return null;
    const s = this.#socket as tls.TLSSocket;
    return { protocol: s.getProtocol() ?? undefined, sessionReused: s.isSessionReused() };
  }

  closeWrite(): Promise<void> {
    return this.writable.close();
  }

  close(): void {
    this.#socket.destroy();
  }

  tlsSession(): TlsSession | undefined {
    if (!this.#secure) return undefined;
    const data = this.#session ?? (this.#socket as tls.TLSSocket).getSession();
    return data ? { adapter: ADAPTER, data } : undefined;
  }

  /** The underlying socket, for adapters built on this one. */
  get socket(): net.Socket {
    return this.#socket;
  }

  startTlsClient(options: ClientTlsOptions = {}): Promise<Connection> {
    const socket = this.#prepareUpgrade();
    return startTlsClientOver(socket, options, this.remoteAddress.hostname);
  }

  startTlsServer(options: ServerTlsOptions): Promise<Connection> {
    // Wrapped synchronously while paused: a ClientHello must not reach a plain listener.
    return startTlsServerOver(this.#prepareUpgrade(), options);
  }

  #prepareUpgrade(): net.Socket {
    if (this.#secure) throw new FtpError("Connection is already secure");
    if (this.readable.locked || this.writable.locked) {
      throw new FtpError("Release the connection's readable and writable before starting TLS");
    }
    this.#socket.pause();
    this.#detach();
    // The TLS layer reports failures; a late error on the plain socket must not crash.
    this.#socket.on("error", () => {});
    return this.#socket;
  }
}

function serverNameFor(host: string): string | undefined {
  return net.isIP(host) ? undefined : host;
}

function sessionData(session: TlsSession | undefined): Buffer | undefined {
  if (!session || session.adapter !== ADAPTER) return undefined;
  return session.data as Buffer;
}

/**
 * Start TLS as the client over `transport` (a plain socket, or any duplex
 * stream carrying the connection) and resolve once the handshake is done.
 *
 * @param transport The plain byte stream, paused and without `data` listeners.
 * @param options Certificate checks, SNI name and session to resume.
 * @param remoteHost The host connected to (SNI and certificate name by default).
 * @param connection Flow control and addresses when `transport` is not a socket.
 */
export function startTlsClientOver(
  transport: Duplex,
  options: ClientTlsOptions,
  remoteHost: string,
  connection: NodeConnectionOptions = {},
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const secure = tls.connect({
      socket: transport,
      servername: serverNameFor(options.serverName ?? remoteHost),
      ca: options.caCerts,
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      session: sessionData(options.session),
    } as tls.ConnectionOptions);
    settleHandshake(secure, transport, "secureConnect", connection, resolve, reject);
  });
}

/**
 * Start TLS as the server over `transport` with the secure context shared by
 * every use of the same `options` object (see {@linkcode secureContextFor}).
 *
 * @param transport The plain byte stream, paused and without `data` listeners.
 * @param options Certificate and key.
 * @param connection Flow control and addresses when `transport` is not a socket.
 */
export function startTlsServerOver(
  transport: Duplex,
  options: ServerTlsOptions,
  connection: NodeConnectionOptions = {},
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const secure = new tls.TLSSocket(transport as net.Socket, {
      isServer: true,
      secureContext: secureContextFor(options),
    });
    settleHandshake(secure, transport, "secure", connection, resolve, reject);
  });
}

function settleHandshake(
  secure: tls.TLSSocket,
  transport: Duplex,
  event: "secure" | "secureConnect",
  connection: NodeConnectionOptions,
  resolve: (c: Connection) => void,
  reject: (e: unknown) => void,
): void {
  // A failing transport ends the TLS socket: over a JS stream, Deno 2.9's
  // node:tls would otherwise go on accepting (and dropping) writes.
  transport.on("error", (err: Error) => secure.destroy(err));
  const onError = (err: Error) => {
    secure.destroy();
    reject(toSocketError(err, "TLS handshake"));
  };
  const onClose = () => reject(new ConnectionClosedError("Connection closed during TLS handshake"));
  secure.once("error", onError);
  secure.once("close", onClose);
  secure.once(event, () => {
    secure.removeListener("error", onError);
    secure.removeListener("close", onClose);
    resolve(new NodeConnection(secure, connection));
  });
}

function endSocket(socket: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.destroyed || socket.writableEnded) {
      resolve();
      return;
    }
    socket.end(() => resolve());
    socket.once("close", () => resolve());
  });
}

class NodeListener implements Listener {
  readonly address: NetAddress;
  #server: net.Server;
  #accepted = new AcceptQueue();

  constructor(server: net.Server, tlsOptions: ServerTlsOptions | undefined) {
    this.#server = server;
    // After listening, errors come from accept (EMFILE, ECONNABORTED under load): Node
    // keeps listening, and so does this listener; the handler keeps them from crashing the process.
    server.on("error", () => {});
    const info = server.address() as net.AddressInfo;
    this.address = address(info.address, info.port);
    server.on("connection", (socket: net.Socket) => {
      socket.on("error", () => {}); // reported through the Connection's streams
      if (!tlsOptions) {
        this.#accepted.deliver(new NodeConnection(socket));
        return;
      }
      // A failed handshake only drops that connection (the socket is destroyed).
      startTlsServerOver(socket, tlsOptions).then((conn) => this.#accepted.deliver(conn), () => {});
    });
  }

  accept(): Promise<Connection> {
    return this.#accepted.accept();
  }

  close(): void {
    if (this.#accepted.closed) return;
    this.#accepted.close();
    this.#server.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }
}

/**
 * The `node:net`/`node:tls` adapter.
 *
 * @example
 * ```ts
 * import { nodeSocketAdapter } from "@ftpkit/ftp/streams";
 * const listener = await nodeSocketAdapter.listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.address.port);
 * listener.close();
 * ```
 */
export const nodeSocketAdapter: SocketAdapter = {
  name: ADAPTER,

  connect(options: ConnectOptions): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const { hostname, port, signal, timeoutMs } = options;
      if (signal?.aborted) {
        reject(new SocketError("connect aborted", "EABORTED", { cause: signal.reason }));
        return;
      }
      const socket: net.Socket = options.tls
        ? tls.connect({
          host: hostname,
          port,
          allowHalfOpen: true,
          servername: serverNameFor(options.tls.serverName ?? hostname),
          ca: options.tls.caCerts,
          rejectUnauthorized: options.tls.rejectUnauthorized ?? true,
          session: sessionData(options.tls.session),
        } as tls.ConnectionOptions)
        : net.connect({ host: hostname, port, allowHalfOpen: true });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (err?: SocketError) => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        socket.removeListener("error", onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else {
          resolve(new NodeConnection(socket));
        }
      };
      const onError = (err: Error) => finish(toSocketError(err, `connect to ${hostname}:${port}`));
      const onAbort = () =>
        finish(new SocketError("connect aborted", "EABORTED", { cause: signal?.reason }));
      if (timeoutMs !== undefined && timeoutMs > 0) {
        timer = setTimeout(
          () => finish(new SocketError(`connect to ${hostname}:${port} timed out`, "ETIMEDOUT")),
          timeoutMs,
        );
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      socket.once("error", onError);
      socket.once(options.tls ? "secureConnect" : "connect", () => finish());
    });
  },

  listen(options: ListenOptions): Promise<Listener> {
    return new Promise<Listener>((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: !!options.tls });
      server.once("error", (err) => reject(toSocketError(err, `listen on port ${options.port}`)));
      server.listen(
        {
          host: options.hostname ?? "127.0.0.1",
          port: options.port,
          backlog: options.backlog ?? 511,
        },
        () => resolve(new NodeListener(server, options.tls)),
      );
    });
  },
};

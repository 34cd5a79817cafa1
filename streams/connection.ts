/**
 * The runtime-neutral socket contract. The core of ftpkit (client, server,
 * protocol) talks only to these types; one adapter per runtime implements them
 * (see `streams/adapters/`), and users may supply their own.
 *
 * @module
 */

/** A network endpoint. */
export interface NetAddress {
  /** IP address (or host name for unresolved client targets). */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Address family. */
  family: "IPv4" | "IPv6";
}

/**
 * An opaque TLS session that a client can offer when it opens another
 * connection to the same server (FTPS data connections resume the control
 * connection's session). Its content is adapter-specific.
 */
export interface TlsSession {
  /** Name of the adapter that produced the session. */
  readonly adapter: string;
  /** Adapter-specific session data. */
  readonly data: unknown;
}

/** TLS options of the client side (connect, or upgrade with AUTH TLS). */
export interface ClientTlsOptions {
  /** Name to send with SNI and to verify the certificate against (default: the host connected to). */
  serverName?: string;
  /** Extra trusted CA certificates, PEM. */
  caCerts?: string[];
  /** Verify the server's certificate (default `true`). */
  rejectUnauthorized?: boolean;
  /** A session to resume (FTPS data connections). Adapters that cannot resume ignore it. */
  session?: TlsSession;
}

/**
 * TLS options of the server side (implicit TLS listen, or AUTH TLS upgrade).
 * Adapters derive one secure context per options object, so passing the same
 * object for the control connection and for data connections lets clients
 * resume their session across them.
 */
export interface ServerTlsOptions {
  /** Certificate chain, PEM (leaf first). */
  cert: string;
  /** Private key, PEM. */
  key: string;
  /** CA certificates for client certificate checks, PEM. */
  ca?: string[];
  /** Lowest protocol version (default `"TLSv1.2"`). */
  minVersion?: "TLSv1.2" | "TLSv1.3";
}

/** What is known about an established TLS layer. */
export interface TlsInfo {
  /** Negotiated protocol, e.g. `"TLSv1.3"`, when the runtime tells. */
  protocol?: string;
  /** Whether the handshake resumed an earlier session, when the runtime tells. */
  sessionReused?: boolean;
}

/**
 * A bidirectional byte stream: one TCP connection, plain or TLS.
 *
 * A chunk written to `writable` must not be modified until its `write()`
 * has resolved; after that the buffer is the caller's again. The `readable` is a byte stream
 * (`type: "bytes"`) where the adapter can offer that, so BYOB readers work.
 */
export interface Connection {
  /** Bytes from the peer; ends at the peer's FIN, errors with a `SocketError`. */
  readonly readable: ReadableStream<Uint8Array>;
  /**
   * Bytes to the peer. `write()` resolves once the chunk is handed to the
   * operating system (or the TLS layer) and the adapter keeps no reference to
   * it: that is the backpressure, and the caller may then reuse the buffer.
   * `close()` sends FIN (half-close) and keeps the read side open.
   */
  readonly writable: WritableStream<Uint8Array>;
  /** This side's address. */
  readonly localAddress: NetAddress;
  /** The peer's address. */
  readonly remoteAddress: NetAddress;
  /** TLS details, or `null` on a plain connection. */
  readonly tls: TlsInfo | null;
  /** Resolves once the connection is fully closed (never rejects). */
  readonly closed: Promise<void>;
  /**
   * Half-close: flush pending writes, then send FIN. Reading goes on. Use this
   * or `writable.close()` (the same thing), not both.
   */
  closeWrite(): Promise<void>;
  /** Close both directions at once, discarding unsent data. Idempotent. */
  close(): void;
  /**
   * Upgrade this plain connection to TLS as the client (FTP `AUTH TLS`).
   * `readable` and `writable` must not be locked. This object must not be used
   * afterwards; use the returned one.
   */
  startTlsClient(options?: ClientTlsOptions): Promise<Connection>;
  /**
   * Upgrade this plain connection to TLS as the server (reply `234` to
   * `AUTH TLS` first). Same rules as {@linkcode Connection.startTlsClient}.
   */
  startTlsServer(options: ServerTlsOptions): Promise<Connection>;
  /** The session to offer on a further connection to the same server, when known. */
  tlsSession(): TlsSession | undefined;
}

/** Options of {@linkcode SocketAdapter.connect}. */
export interface ConnectOptions {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Connect with TLS at once (implicit FTPS). */
  tls?: ClientTlsOptions;
  /** Cancels the attempt. */
  signal?: AbortSignal;
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
}

/** Options of {@linkcode SocketAdapter.listen}. */
export interface ListenOptions {
  /** Address to bind (default `"127.0.0.1"`). */
  hostname?: string;
  /** Port to bind; `0` picks a free one. */
  port: number;
  /** Wrap every accepted connection in TLS (implicit FTPS). */
  tls?: ServerTlsOptions;
  /** Pending-connection queue length. */
  backlog?: number;
}

/**
 * A listening socket. Iterate it (or call `accept`) to receive connections.
 */
export interface Listener extends AsyncIterable<Connection> {
  /** The bound address (with the real port when `0` was asked). */
  readonly address: NetAddress;
  /**
   * The next connection. Rejects with `ConnectionClosedError` once the listener
   * is closed.
   */
  accept(): Promise<Connection>;
  /** Stop listening. Connections already accepted stay open. Idempotent. */
  close(): void;
}

/**
 * Opens connections and listeners. ftpkit picks one per runtime
 * ({@linkcode getSocketAdapter}); pass your own to a `Client` or `Server` to
 * add a proxy, instrumentation or another transport.
 */
export interface SocketAdapter {
  /** Short name, e.g. `"deno"`, `"bun"`, `"node"`. */
  readonly name: string;
  /** Open a TCP (or TLS) connection. Rejects with a `SocketError`. */
  connect(options: ConnectOptions): Promise<Connection>;
  /** Start listening. Rejects with a `SocketError` (`code: "EADDRINUSE"` when taken). */
  listen(options: ListenOptions): Promise<Listener>;
}

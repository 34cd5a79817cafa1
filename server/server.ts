/**
 * The FTP server: listening, connection limits, sessions and shutdown.
 *
 * @module
 */

import type { PathIO } from "../pathio/path_io.ts";
import type { Connection, Listener, NetAddress, SocketAdapter } from "../streams/connection.ts";
import { FtpError } from "../streams/errors.ts";
import { getSocketAdapter } from "../streams/socket_adapter.ts";
import { StreamThrottle, Throttle } from "../streams/throttle.ts";
import type { CommandTable } from "./command.ts";
import { defaultCommands } from "./commands/mod.ts";
import { type ServerEventMap, type ServerEventName, ServerEvents } from "./events.ts";
import { resolveServerSettings, type ServerOptions, type ServerSettings } from "./options.ts";
import { formatReply } from "./reply.ts";
import { ServerSession, type SessionHost } from "./session.ts";
import { TransferBudget } from "./transfer_budget.ts";
import type { User } from "./user.ts";
import { MemoryUserManager, type UserManager } from "./user_manager.ts";

/**
 * An FTP server (aioftp's `Server`). Every storage access goes through a
 * `PathIO`; every socket through a `SocketAdapter`, so it runs on Deno, Bun
 * and Node alike.
 *
 * @example
 * ```ts
 * import { MemoryPathIO } from "@ftpkit/ftp/pathio";
 * import { Server, User } from "@ftpkit/ftp/server";
 * const server = new Server({ pathIO: new MemoryPathIO(), users: [new User()] });
 * await server.start("127.0.0.1", 0);
 * console.log(`listening on port ${server.address.port}`);
 * server.on("upload", ({ path, size }) => console.log(path, size));
 * await server.close();
 * ```
 */
export class Server implements SessionHost {
  /** Settings with defaults filled in. */
  readonly settings: ServerSettings;
  /** The command table in use (built-ins merged with `options.commands`). */
  readonly commands: CommandTable;
  /** Event hub; {@linkcode Server.on} is a shortcut. */
  readonly events: ServerEvents = new ServerEvents();
  /** Where accounts come from. */
  readonly userManager: UserManager;
  /** Opens listeners and data connections. */
  readonly socketAdapter: SocketAdapter;
  /** Whole-server speed limits (change `limit` at any time). */
  readonly serverThrottle: StreamThrottle;
  /** Chunk sizes of the running transfers (`transferMemory` shared out). */
  readonly transferBudget: TransferBudget;

  readonly #options: ServerOptions;
  readonly #sessions = new Set<ServerSession>();
  readonly #perAddress = new Map<string, number>();
  readonly #perUser = new Map<User, number>();
  readonly #userThrottles = new WeakMap<User, StreamThrottle>();
  readonly #dataPorts: number[] | null;
  #portCursor = 0;
  #listener: Listener | null = null;
  #acceptLoop: Promise<void> | null = null;
  #closing = false;

  /**
   * Configure a server; `start` makes it listen.
   * @param options Storage, users and limits.
   */
  constructor(options: ServerOptions) {
    this.#options = options;
    this.settings = resolveServerSettings(options);
    if ((this.settings.implicitTls || this.settings.requireTls) && !this.settings.tls) {
      throw new FtpError("implicitTls and requireTls need the tls option (certificate and key)");
    }
    this.commands = { ...defaultCommands(), ...options.commands };
    this.userManager = options.userManager ?? new MemoryUserManager(options.users);
    this.socketAdapter = options.socketAdapter ?? getSocketAdapter();
    this.serverThrottle = new StreamThrottle(
      new Throttle(options.readSpeedLimit ?? null),
      new Throttle(options.writeSpeedLimit ?? null),
    );
    this.transferBudget = new TransferBudget(
      this.settings.transferMemory,
      this.settings.blockSize,
    );
    this.#dataPorts = options.dataPorts ? [...options.dataPorts] : null;
    if (this.#dataPorts?.length === 0) throw new FtpError("dataPorts is empty");
  }

  /**
   * The bound address (with the real port when port `0` was asked).
   * @throws {FtpError} before `start`.
   */
  get address(): NetAddress {
    if (!this.#listener) throw new FtpError("The server is not started");
    return this.#listener.address;
  }

  /** Number of open control connections. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /**
   * Subscribe to an event; returns the unsubscribe function.
   *
   * @example
   * ```ts ignore
   * server.on("login", ({ login }) => console.log("hello", login));
   * ```
   */
  on<K extends ServerEventName>(
    name: K,
    listener: (detail: ServerEventMap[K]) => void,
  ): () => void {
    return this.events.on(name, listener);
  }

  /**
   * Start listening and accepting clients in the background.
   * @param host Address to bind (default `"127.0.0.1"`; `"::"` or `"0.0.0.0"` for all).
   * @param port Port (default 0: any free port, see {@linkcode Server.address}).
   */
  async start(host = "127.0.0.1", port = 0): Promise<NetAddress> {
    if (this.#listener) throw new FtpError("The server is already started");
    this.#closing = false;
    this.#listener = await this.socketAdapter.listen({
      hostname: host,
      port,
      tls: this.settings.implicitTls ? this.settings.tls ?? undefined : undefined,
    });
    this.#acceptLoop = this.#accept(this.#listener);
    return this.#listener.address;
  }

  /** Start (when not started yet) and resolve once the server is closed. */
  async run(host?: string, port?: number): Promise<void> {
    if (!this.#listener) await this.start(host, port);
    await this.#acceptLoop;
  }

  /**
   * Stop gracefully: stop accepting, let running transfers finish (at most
   * `closeTimeout` ms), send `421` to every client, then close.
   */
  async close(): Promise<void> {
    if (this.#closing) return await this.#acceptLoop?.catch(() => {});
    this.#closing = true;
    this.#listener?.close();
    const sessions = [...this.#sessions];
    const graceful = Promise.all(sessions.map((s) => s.shutdown()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) =>
      timer = setTimeout(r, this.#options.closeTimeout ?? 10_000)
    );
    await Promise.race([graceful, timeout]);
    clearTimeout(timer);
    for (const s of sessions) s.close();
    await Promise.all(sessions.map((s) => s.done));
    await this.#acceptLoop?.catch(() => {});
    this.#listener = null;
  }

  /** The storage of `user`. */
  pathIOFor(user: User): PathIO {
    const source = this.#options.pathIO;
    return typeof source === "function" ? source(user) : source;
  }

  /** Speed limits shared by every session of `user`. */
  userThrottle(user: User): StreamThrottle {
    let throttle = this.#userThrottles.get(user);
    if (!throttle) {
      throttle = StreamThrottle.fromLimits(user.readSpeedLimit, user.writeSpeedLimit);
      this.#userThrottles.set(user, throttle);
    }
    return throttle;
  }

  /** Count a session of `user`; `false` when the user's limit is reached. */
  claimUserSlot(user: User): boolean {
    const n = this.#perUser.get(user) ?? 0;
    if (user.maximumConnections !== null && n >= user.maximumConnections) return false;
    this.#perUser.set(user, n + 1);
    return true;
  }

  /** Undo {@linkcode Server.claimUserSlot}. */
  releaseUserSlot(user: User): void {
    const n = (this.#perUser.get(user) ?? 1) - 1;
    if (n <= 0) this.#perUser.delete(user);
    else this.#perUser.set(user, n);
  }

  /** Passive ports to try, rotating so consecutive sessions start at different ports. */
  dataPortCandidates(): number[] | null {
    const ports = this.#dataPorts;
    if (!ports) return null;
    const start = this.#portCursor++ % ports.length;
    return [...ports.slice(start), ...ports.slice(0, start)];
  }

  async #accept(listener: Listener): Promise<void> {
    for await (const conn of listener) {
      const refusal = this.#refusal(conn);
      if (refusal) {
        this.events.emit("error", {
          error: new FtpError(`Refused ${conn.remoteAddress.hostname}: ${refusal}`),
        });
        refuse(conn, refusal);
        continue;
      }
      const host = conn.remoteAddress.hostname;
      this.#perAddress.set(host, (this.#perAddress.get(host) ?? 0) + 1);
      const session = new ServerSession(this, conn);
      this.#sessions.add(session);
      session.serve().finally(() => {
        this.#sessions.delete(session);
        const n = (this.#perAddress.get(host) ?? 1) - 1;
        if (n <= 0) this.#perAddress.delete(host);
        else this.#perAddress.set(host, n);
      });
    }
  }

  #refusal(conn: Connection): string | null {
    if (this.#closing) return "Server shutting down";
    const { maximumConnections, maximumConnectionsPerAddress } = this.#options;
    if (maximumConnections != null && this.#sessions.size >= maximumConnections) {
      return "Too many connections";
    }
    const fromHost = this.#perAddress.get(conn.remoteAddress.hostname) ?? 0;
    if (maximumConnectionsPerAddress != null && fromHost >= maximumConnectionsPerAddress) {
      return "Too many connections from your address";
    }
    return null;
  }
}

function refuse(conn: Connection, message: string): void {
  const writer = conn.writable.getWriter();
  writer.write(new TextEncoder().encode(formatReply(421, message)))
    .then(() => writer.close())
    .catch(() => {})
    .finally(() => conn.close());
}

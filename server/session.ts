/**
 * One client's control connection: reading commands, dispatching them from
 * the command table, replies, login state, paths and transfers.
 *
 * @module
 */

import type { PathIO, PathIOOptions } from "../pathio/path_io.ts";
import { resolveVirtualPath, toBackendPath } from "../pathio/jail.ts";
import { waitFor } from "../streams/buffered_reader.ts";
import type { Connection, SocketAdapter } from "../streams/connection.ts";
import {
  AbortedError,
  FtpError,
  FtpTimeoutError,
  LineTooLongError,
  NoAvailablePortError,
  PathIOError,
} from "../streams/errors.ts";
import { StreamThrottle, type Throttle } from "../streams/throttle.ts";
import type { CommandTable } from "./command.ts";
import { ControlLineReader } from "./control_reader.ts";
import { DataChannel } from "./data_channel.ts";
import type { ServerEvents } from "./events.ts";
import type { FtpHashAlgorithm } from "../streams/hash/mod.ts";
import { MLST_FACTS } from "./listing.ts";
import type { ServerSettings } from "./options.ts";
import { type Permission, permissionFor } from "./permission.ts";
import { formatReply } from "./reply.ts";
import type { TransferBudget } from "./transfer_budget.ts";
import type { User } from "./user.ts";
import type { UserManager } from "./user_manager.ts";

/** What a session needs from its server. */
export interface SessionHost {
  /** Settings with defaults filled in. */
  readonly settings: ServerSettings;
  /** The command table. */
  readonly commands: CommandTable;
  /** Where events go. */
  readonly events: ServerEvents;
  /** Where accounts come from. */
  readonly userManager: UserManager;
  /** Opens data connections. */
  readonly socketAdapter: SocketAdapter;
  /** Whole-server speed limits. */
  readonly serverThrottle: StreamThrottle;
  /** Chunk sizes of the running transfers. */
  readonly transferBudget: TransferBudget;
  /** Storage for `user`. */
  pathIOFor(user: User): PathIO;
  /** Speed limits shared by all sessions of `user`. */
  userThrottle(user: User): StreamThrottle;
  /** Count a session of `user`; `false` when the user's limit is reached. */
  claimUserSlot(user: User): boolean;
  /** Undo {@linkcode SessionHost.claimUserSlot}. */
  releaseUserSlot(user: User): void;
  /** Passive ports to try, in order, or `null` for any. */
  dataPortCandidates(): number[] | null;
}

/** A transfer running in the background of a session. */
interface RunningTransfer {
  controller: AbortController;
  done: Promise<void>;
  description: string;
  bytes: () => number;
}

/** Options of {@linkcode ServerSession.transfer}. */
export interface TransferOptions {
  /** For STAT and logs, e.g. `"RETR /a.txt"`. */
  description: string;
  /** Text of the `150` reply (default: "Opening data connection for <description>"). */
  preliminary?: string;
  /** Moves the bytes; resolves with their count. */
  run: (
    data: Connection,
    signal: AbortSignal,
    progress: (bytes: number) => void,
  ) => Promise<number>;
  /** Called with the byte count after `226` was sent. */
  onSuccess?: (bytes: number) => void;
  /** Called when `run` was never reached (no data connection), to release what was opened. */
  abandon?: () => Promise<void> | void;
}

/** An FTP reply the handler wants to send instead of continuing. */
export class ReplyError extends FtpError {
  /** The reply code. */
  readonly code: number;
  /**
   * A reply to send instead of the handler's normal one.
   * @param code Reply code.
   * @param message Reply text.
   */
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

let nextSessionId = 1;

/**
 * The state of one client's session, handed to every command handler.
 *
 * @example
 * ```ts
 * import { Server, type CommandTable } from "@ftpkit/ftp/server";
 * const commands: CommandTable = {
 *   XPWD: { run: (session) => session.reply(257, `"${session.cwd}"`) },
 * };
 * ```
 */
export class ServerSession {
  /** Unique id, for events and logs. */
  readonly id: number = nextSessionId++;
  /** The server. */
  readonly host: SessionHost;
  /** The current control connection (replaced by `AUTH TLS`). */
  connection: Connection;
  /** The logged-in user, or `null`. */
  user: User | null = null;
  /** The user named by `USER`, waiting for `PASS`. */
  pendingUser: User | null = null;
  /** The name given with `USER`. */
  loginName = "";
  /** The virtual working directory. */
  cwd = "/";
  /** Storage of the logged-in user. */
  pathIO: PathIO | null = null;
  /** `TYPE`: `"A"` or `"I"`. */
  transferType: "A" | "I" = "A";
  /** Offset from `REST` for the next transfer. */
  restOffset = 0;
  /** Byte range from `RANG` for the next `HASH` (`end` inclusive), or `null`. */
  hashRange: { start: number; end: number } | null = null;
  /** Source of a pending rename. */
  renameFrom: string | null = null;
  /** `PROT` level: `"C"` clear or `"P"` private (private from the start with implicit TLS). */
  protection: "C" | "P";
  /** Whether `PBSZ` was received (required before `PROT`). */
  protectionBufferSizeSet = false;
  /** After `EPSV ALL` only EPSV may set up data connections. */
  epsvAll = false;
  /** MLST/MLSD facts selected with `OPTS MLST`. */
  mlstFacts: string[] = [...MLST_FACTS];
  /** Algorithm for `HASH`. */
  hashAlgorithm: FtpHashAlgorithm = "SHA-256";
  /** Failed `PASS` attempts. */
  failedLogins = 0;

  // Created on first use: most sessions never transfer, and a crowd of idle
  // clients should cost little memory each.
  #data: DataChannel | null = null;
  #connectionThrottle: StreamThrottle | null = null;
  /** `undefined`: logged in, built from the user's limits on first use. */
  #userConnectionThrottle: StreamThrottle | null | undefined = null;

  #reader: ControlLineReader;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #transfer: RunningTransfer | null = null;
  #closing = false;
  #closed = false;
  /** Set once hanging up started: no reply goes out afterwards. */
  #hungUp = false;
  /** The hang-up in progress: later callers wait for the same one. */
  #hangingUp: Promise<void> | null = null;
  #userSlot: User | null = null;
  #done: Promise<void> | null = null;
  /** Settles `done`; `undefined` once the session has ended. */
  #resolveDone: (() => void) | null | undefined = null;
  /** The last reply's write: once it settled, every reply before it was written too. */
  #lastWrite: Promise<void> | null = null;

  // One timer per session watches every time limit of the control connection
  // (idle client, stalled reply, stalled close) instead of a timer per read
  // and per reply. Waits only note when they started; the timer, when it
  // fires, either acts or re-arms itself for the nearest deadline.
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (`Infinity`: not armed). */
  #timerAt = Infinity;
  /** Since when a command line is awaited (`-1`: not waiting). */
  #lineSince = -1;
  /** Reply writes (and the final close) not settled yet. */
  #writes = 0;
  /** Last progress of the pending writes: the first one started or one settled. */
  #writeSince = 0;
  /** Since when the connection is being flushed and closed (`-1`: not closing). */
  #closeSince = -1;
  #idleExpired = false;
  #writeExpired = false;

  /**
   * A session for an accepted control connection; call `serve()` to run it.
   * @param host The server.
   * @param connection The accepted control connection.
   */
  constructor(host: SessionHost, connection: Connection) {
    this.host = host;
    this.connection = connection;
    const settings = host.settings;
    this.#reader = controlReader(connection, settings.maxLineLength);
    this.#writer = connection.writable.getWriter();
    this.protection = settings.implicitTls ? "P" : "C";
  }

  /** The data connection setup. */
  get data(): DataChannel {
    if (this.#data) return this.#data;
    const { host } = this;
    const peer = this.connection.remoteAddress;
    return this.#data = new DataChannel({
      adapter: host.socketAdapter,
      peer,
      checkPeerAddress: this.settings.checkDataPeerAddress,
      onForeignConnection: (from) =>
        host.events.emit("error", {
          sessionId: this.id,
          error: new FtpError(
            `Refused data connection from ${from.hostname}:${from.port} (control peer is ${peer.hostname})`,
          ),
        }),
    });
  }

  /** Speed limits of this session (server per-connection limits). */
  get connectionThrottle(): StreamThrottle {
    return this.#connectionThrottle ??= StreamThrottle.fromLimits(
      this.settings.readSpeedLimitPerConnection,
      this.settings.writeSpeedLimitPerConnection,
    );
  }

  /** Speed limits of this session set by the user's per-connection limits (`null` before login). */
  get userConnectionThrottle(): StreamThrottle | null {
    if (this.#userConnectionThrottle === undefined) {
      const user = this.requireUser();
      this.#userConnectionThrottle = StreamThrottle.fromLimits(
        user.readSpeedLimitPerConnection,
        user.writeSpeedLimitPerConnection,
      );
    }
    return this.#userConnectionThrottle;
  }

  set userConnectionThrottle(value: StreamThrottle | null) {
    this.#userConnectionThrottle = value;
  }

  /** Server settings. */
  get settings(): ServerSettings {
    return this.host.settings;
  }

  /** Whether the control connection is TLS. */
  get secure(): boolean {
    return this.connection.tls !== null;
  }

  /** Whether a transfer is running. */
  get transferring(): boolean {
    return this.#transfer !== null;
  }

  /** Description and byte count of the running transfer, if any. */
  get transferStatus(): { description: string; bytes: number } | null {
    const t = this.#transfer;
    return t ? { description: t.description, bytes: t.bytes() } : null;
  }

  /** Resolves when the session has ended. */
  get done(): Promise<void> {
    if (!this.#done) {
      this.#done = this.#resolveDone === undefined
        ? Promise.resolve()
        : new Promise((r) => this.#resolveDone = r);
    }
    return this.#done;
  }

  /**
   * Send a reply (one line, or several lines as a multi-line reply).
   * @throws {FtpTimeoutError} when the client takes no reply bytes for
   *   `socketTimeout`; the control connection is closed then.
   */
  async reply(code: number, text: string | readonly string[]): Promise<void> {
    if (this.#closed || this.#hungUp) return;
    const written = this.#writer.write(this.encode(formatReply(code, text)));
    this.#lastWrite = written;
    const limit = this.settings.socketTimeout;
    if (this.#writes++ === 0) this.#writeSince = Date.now();
    if (limit && limit > 0) this.#arm(this.#writeSince + limit);
    try {
      await written;
    } catch (err) {
      if (this.#writeExpired) throw new FtpTimeoutError("reply", limit ?? 0, { cause: err });
      throw err;
    } finally {
      this.#writes--;
      this.#writeSince = Date.now();
    }
  }

  /** Encode text in the session's encoding. */
  encode(text: string): Uint8Array {
    if (this.settings.encoding === "utf-8") return UTF8.encode(text);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      out[i] = c < 256 ? c : 0x3f;
    }
    return out;
  }

  /** The virtual path `input` names, relative to the working directory. */
  virtualPath(input: string): string {
    return resolveVirtualPath(this.cwd, input === "" ? "." : input);
  }

  /** The storage path of virtual path `virtual`. */
  backendPath(virtual: string): string {
    return toBackendPath(this.requireUser().basePath, virtual);
  }

  /** The permission that applies to virtual path `virtual`. */
  permission(virtual: string): Permission {
    return permissionFor(this.requireUser().permissions, virtual);
  }

  /**
   * Resolve `input`, check the right, and return both forms of the path.
   * @throws {ReplyError} `550` when the right is missing.
   */
  checkedPath(input: string, need: "read" | "write"): { virtual: string; backend: string } {
    const virtual = this.virtualPath(input);
    const p = this.permission(virtual);
    if (need === "read" ? !p.readable : !p.writable) {
      throw new ReplyError(550, "Permission denied");
    }
    return { virtual, backend: this.backendPath(virtual) };
  }

  /** Options for a storage call: the path timeout as a signal. */
  pathOptions(): PathIOOptions {
    const ms = this.settings.pathTimeout;
    return ms ? { signal: AbortSignal.timeout(ms) } : {};
  }

  /** The logged-in user's storage. */
  io(): PathIO {
    if (!this.pathIO) throw new ReplyError(530, "Not logged in");
    return this.pathIO;
  }

  /** The logged-in user. */
  requireUser(): User {
    if (!this.user) throw new ReplyError(530, "Not logged in");
    return this.user;
  }

  /** Throttles that limit uploads (`"read"`) or downloads (`"write"`) of this session. */
  throttles(direction: "read" | "write"): Throttle[] {
    const list = [this.host.serverThrottle[direction], this.connectionThrottle[direction]];
    if (this.user) list.push(this.host.userThrottle(this.user)[direction]);
    if (this.userConnectionThrottle) list.push(this.userConnectionThrottle[direction]);
    return list;
  }

  /**
   * Finish a login: claim the user's connection slot, select the storage,
   * go to the home directory. Replies `230`, or `421` and closes when the
   * user has too many sessions.
   */
  async completeLogin(user: User): Promise<void> {
    this.endLogin();
    if (!this.host.claimUserSlot(user)) {
      await this.reply(421, "Too many connections for this user");
      await this.hangUp();
      return;
    }
    this.#userSlot = user;
    this.user = user;
    this.pendingUser = null;
    this.pathIO = this.host.pathIOFor(user);
    this.cwd = user.homePath;
    this.#userConnectionThrottle = undefined;
    this.failedLogins = 0;
    this.host.events.emit("login", { sessionId: this.id, user, login: this.loginName });
    await this.reply(230, "Login successful");
  }

  /** Log the current user out (no reply). */
  endLogin(): void {
    const user = this.user;
    if (this.#userSlot) this.host.releaseUserSlot(this.#userSlot);
    this.#userSlot = null;
    this.user = null;
    this.pathIO = null;
    this.#userConnectionThrottle = null;
    this.cwd = "/";
    if (user) {
      this.host.userManager.notifyLogout(user);
      this.host.events.emit("logout", { sessionId: this.id, user });
    }
  }

  /**
   * Run a transfer in the background: reply `150`, open the data connection,
   * run `options.run`, reply `226` (or `425`/`426`/`451`). Commands marked
   * `duringTransfer` (ABOR, STAT, NOOP, QUIT) are answered meanwhile.
   */
  async transfer(options: TransferOptions): Promise<void> {
    const settings = this.settings;
    if (!this.data.ready) {
      await options.abandon?.();
      await this.reply(425, "Use PASV, EPSV, PORT or EPRT first");
      return;
    }
    if (settings.requireDataTls && this.protection !== "P") {
      this.data.reset();
      await options.abandon?.();
      await this.reply(521, "Data connections must be protected: use PROT P");
      return;
    }
    const controller = new AbortController();
    let bytes = 0;
    const transfer: RunningTransfer = {
      controller,
      description: options.description,
      bytes: () => bytes,
      done: Promise.resolve(),
    };
    this.#transfer = transfer;
    transfer.done = (async () => {
      let data: Connection | null = null;
      let started = false;
      try {
        await this.reply(
          150,
          options.preliminary ?? `Opening data connection for ${options.description}`,
        );
        data = await this.data.open(
          settings.waitFutureTimeout,
          controller.signal,
          this.protection === "P" && settings.tls ? settings.tls : undefined,
        );
        if (settings.requireTlsSessionReuse && data.tls && data.tls.sessionReused !== true) {
          throw new ReplyError(522, "TLS session of the data connection not resumed");
        }
        started = true;
        const endBudget = this.host.transferBudget.begin();
        let total: number;
        try {
          total = await options.run(data, controller.signal, (n) => bytes += n);
        } finally {
          endBudget();
        }
        data.close();
        await this.reply(226, `Transfer complete (${total} bytes)`);
        options.onSuccess?.(total);
      } catch (err) {
        data?.close();
        if (!started) await Promise.resolve(options.abandon?.()).catch(() => {});
        await this.reply(...transferFailure(err, started, controller.signal)).catch(() => {});
        if (!(controller.signal.aborted)) {
          this.host.events.emit("error", { sessionId: this.id, error: err });
        }
      } finally {
        this.data.reset();
        this.#transfer = null;
      }
    })();
  }

  /** Abort the running transfer (it replies `426`); resolves once it has ended. */
  async abortTransfer(): Promise<boolean> {
    const t = this.#transfer;
    if (!t) return false;
    t.controller.abort(new AbortedError("Transfer aborted by ABOR"));
    await t.done;
    return true;
  }

  /**
   * Switch the control connection to TLS after `234` (AUTH TLS). Refuses
   * when the client sent anything after the AUTH command in plain text.
   */
  async upgradeToTls(): Promise<void> {
    const tls = this.settings.tls;
    if (!tls) throw new ReplyError(502, "TLS is not configured");
    if (this.#reader.buffered > 0) {
      throw new ReplyError(503, "Commands pipelined after AUTH TLS");
    }
    await this.reply(234, "AUTH TLS successful");
    const leftover = this.#reader.release();
    this.#writer.releaseLock();
    if (leftover.byteLength > 0) {
      this.close();
      return;
    }
    let secure: Connection;
    try {
      secure = await waitFor(
        this.connection.startTlsServer(tls),
        { timeoutMs: this.settings.socketTimeout ?? undefined },
        "TLS handshake",
      );
    } catch (err) {
      // The plain writer is released: no reply is possible, only hanging up.
      this.host.events.emit("error", { sessionId: this.id, error: err });
      this.close();
      return;
    }
    this.connection = secure;
    this.#reader = controlReader(secure, this.settings.maxLineLength);
    this.#writer = secure.writable.getWriter();
  }

  /** Serve the session until the client leaves; never rejects. */
  async serve(): Promise<void> {
    const { events } = this.host;
    events.emit("connect", { sessionId: this.id, remoteAddress: this.connection.remoteAddress });
    try {
      await this.reply(220, this.settings.greeting);
      while (!this.#closing) {
        const line = await this.#nextLine();
        if (line === null) break;
        await this.#dispatch(line);
      }
    } catch (err) {
      if (!(err instanceof LineTooLongError)) {
        events.emit("error", { sessionId: this.id, error: err });
      }
    } finally {
      await this.#finish();
    }
  }

  /**
   * Stop the session gracefully: at once when idle, else after the running
   * transfer; `421` is sent first.
   */
  async shutdown(message = "Server shutting down"): Promise<void> {
    this.#closing = true;
    if (this.#transfer) await this.#transfer.done;
    await this.reply(421, message).catch(() => {});
    await this.hangUp();
  }

  /**
   * Close the control connection once the replies sent so far are written
   * (and the client took them, at most 2 s). No reply goes out afterwards.
   */
  hangUp(): Promise<void> {
    this.#closing = true;
    this.#hungUp = true;
    return this.#hangingUp ??= this.#hangUp();
  }

  async #hangUp(): Promise<void> {
    const tls = this.connection.tls !== null;
    if (tls || this.#writes > 0) {
      this.#closeSince = Date.now();
      this.#arm(this.#closeSince + CLOSE_TIMEOUT_MS);
    }
    if (tls) {
      // TLS: end with close_notify, as clients expect.
      await this.#writer.close().catch(() => {});
    } else if (this.#writes > 0) {
      // A written reply is in the kernel's hands (the Connection contract), so
      // closing at once still sends it, then FIN: no separate half-close.
      await this.#lastWrite!.catch(() => {});
    }
    // Closing is not urgent: let the event loop first answer the clients
    // whose commands are already waiting (a crowd sending QUIT at once).
    await new Promise<void>((resolve) => afterWaitingWork(resolve));
    this.close();
  }

  /** Close the control connection and any data connection at once. */
  close(): void {
    this.#closing = true;
    this.#transfer?.controller.abort(new AbortedError("Session closed"));
    this.#data?.reset();
    this.connection.close();
  }

  /** Arm the session's timer to fire at `at` (ms since the epoch) unless it fires earlier. */
  #arm(at: number): void {
    if (at >= this.#timerAt || this.#closed) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(1, at - Date.now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const now = Date.now();
    let next = Infinity;
    const idle = this.settings.idleTimeout;
    if (idle && idle > 0 && this.#lineSince >= 0) {
      if (this.#transfer) {
        // No idle timeout while a transfer runs: start counting again.
        if (now >= this.#lineSince + idle) this.#lineSince = now;
        next = this.#lineSince + idle;
      } else if (now >= this.#lineSince + idle) {
        // #nextLine sees the flag when the cancelled read returns, and says 421.
        this.#idleExpired = true;
        this.#reader.cancel().catch(() => {});
      } else {
        next = this.#lineSince + idle;
      }
    }
    const limit = this.settings.socketTimeout;
    if (limit && limit > 0 && this.#writes > 0) {
      if (now >= this.#writeSince + limit) {
        this.#writeExpired = true;
        this.close(); // the pending writes fail; reply() reports the timeout
      } else {
        next = Math.min(next, this.#writeSince + limit);
      }
    }
    if (this.#closeSince >= 0) {
      if (now >= this.#closeSince + CLOSE_TIMEOUT_MS) this.close();
      else next = Math.min(next, this.#closeSince + CLOSE_TIMEOUT_MS);
    }
    if (next < Infinity) this.#arm(next);
  }

  async #nextLine(): Promise<string | null> {
    const idle = this.settings.idleTimeout;
    if (idle && idle > 0) {
      // The limit covers the whole line: a client dripping one byte at a time
      // (slow loris) does not restart it.
      this.#lineSince = Date.now();
      this.#arm(this.#lineSince + idle);
    }
    try {
      const bytes = await this.#reader.readLine();
      if (this.#idleExpired) return await this.#idleTimeout();
      if (bytes === null) return null;
      return (this.settings.encoding === "latin1" ? LATIN1 : UTF8_DECODER).decode(bytes);
    } catch (err) {
      if (this.#idleExpired) return await this.#idleTimeout();
      if (err instanceof LineTooLongError) {
        await this.reply(500, "Command line too long").catch(() => {});
        throw err;
      }
      if (this.#closing) return null;
      throw err;
    } finally {
      this.#lineSince = -1;
    }
  }

  async #idleTimeout(): Promise<null> {
    await this.reply(421, "Idle timeout, closing control connection").catch(() => {});
    return null;
  }

  async #dispatch(line: string): Promise<void> {
    const space = line.indexOf(" ");
    const name = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const argument = space < 0 ? "" : line.slice(space + 1);
    if (name === "") return;
    const handler = Object.hasOwn(this.host.commands, name) ? this.host.commands[name] : undefined;
    if (this.#transfer && !handler?.duringTransfer) await this.#transfer.done;
    if (this.#closing) return;
    if (!handler) {
      await this.reply(
        /^[A-Z]{3,4}$/.test(name) ? 502 : 500,
        `Unknown command: ${name.slice(0, 32)}`,
      );
      return;
    }
    if ((handler.requiresLogin ?? true) && !this.user) {
      await this.reply(530, "Please log in with USER and PASS first");
      return;
    }
    if (handler.argument === "required" && argument.trim() === "") {
      await this.reply(501, `${name} needs an argument`);
      return;
    }
    if (handler.argument === "none" && argument.trim() !== "") {
      await this.reply(501, `${name} takes no argument`);
      return;
    }
    if (name !== "RNTO" && name !== "RNFR") this.renameFrom = null;
    try {
      await handler.run(this, argument);
    } catch (err) {
      await this.reply(...commandFailure(err));
      if (!(err instanceof ReplyError) && !(err instanceof PathIOError)) {
        this.host.events.emit("error", { sessionId: this.id, error: err });
      }
    }
    // REST applies to the next transfer command only.
    if (TRANSFER_COMMANDS.has(name)) this.restOffset = 0;
  }

  async #finish(): Promise<void> {
    if (this.#closed) return;
    if (this.#transfer) {
      this.#transfer.controller.abort(new AbortedError("Control connection closed"));
      await this.#transfer.done.catch(() => {});
    }
    this.endLogin();
    this.#data?.reset();
    await this.hangUp();
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.host.events.emit("disconnect", {
      sessionId: this.id,
      remoteAddress: this.connection.remoteAddress,
    });
    if (this.#resolveDone) this.#resolveDone();
    this.#resolveDone = undefined;
  }
}

const UTF8 = new TextEncoder();
// Decoding whole lines keeps no state, so every session shares these.
const UTF8_DECODER = new TextDecoder();
const LATIN1 = new TextDecoder("latin1");
function controlReader(connection: Connection, maxLineLength: number): ControlLineReader {
  return new ControlLineReader(connection.readable, maxLineLength, { owner: connection });
}

/** How long closing may wait for the client to take the last replies. */
const CLOSE_TIMEOUT_MS = 2000;

// Closes deferred to the next timer turn share one timer: a crowd that sends
// QUIT at once would otherwise create one per session.
let deferred: Array<() => void> = [];

function afterWaitingWork(run: () => void): void {
  deferred.push(run);
  if (deferred.length === 1) setTimeout(runDeferred, 0);
}

function runDeferred(): void {
  const due = deferred;
  deferred = [];
  for (const run of due) run();
}
const TRANSFER_COMMANDS = new Set(["RETR", "STOR", "APPE", "STOU"]);

/** The reply for an error thrown by a command handler. */
export function commandFailure(err: unknown): [number, string] {
  if (err instanceof ReplyError) return [err.code, err.message];
  if (err instanceof PathIOError) return pathFailure(err);
  if (err instanceof NoAvailablePortError) return [425, "No data port available"];
  if (err instanceof FtpTimeoutError) return [451, "Timed out"];
  return [451, "Local error in processing"];
}

function pathFailure(err: PathIOError): [number, string] {
  switch (err.kind) {
    case "not-found":
      return [550, "No such file or directory"];
    case "exists":
      return [550, "File exists"];
    case "not-a-directory":
      return [550, "Not a directory"];
    case "is-a-directory":
      return [550, "Is a directory"];
    case "not-empty":
      return [550, "Directory not empty"];
    case "permission":
      return [550, "Permission denied"];
    case "no-space":
      return [452, "Insufficient storage space"];
    case "invalid":
      return [553, "File name not allowed"];
    case "timeout":
      return [451, "Storage timed out"];
    default:
      return [451, "Storage error"];
  }
}

function transferFailure(err: unknown, started: boolean, signal: AbortSignal): [number, string] {
  if (signal.aborted) return [426, "Connection closed; transfer aborted"];
  if (err instanceof ReplyError) return [err.code, err.message];
  if (!started) {
    if (err instanceof FtpTimeoutError) return [425, "Can't open data connection: timed out"];
    return [425, "Can't open data connection"];
  }
  if (err instanceof PathIOError) {
    const [code, text] = pathFailure(err);
    return [code === 550 ? 451 : code, text];
  }
  return [426, "Connection closed; transfer aborted"];
}

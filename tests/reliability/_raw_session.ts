/**
 * A byte-exact FTP control connection over `node:net` for the adversarial
 * suite: it sends whatever bytes a test hands it (invalid UTF-8, NUL, bare
 * CR, megabyte lines) and checks every reply line it gets back for a valid
 * shape, so a fuzzer can tell "answered" from "crashed" from "closed".
 *
 * @module
 */

import * as net from "node:net";

/** One reply as received. */
export interface RawReply {
  /** The three-digit code. */
  code: number;
  /** Every line of the reply, without CRLF. */
  lines: string[];
}

/** A reply line that is not `ddd text`/`ddd-text` (or a continuation inside a multi-line reply). */
export class MalformedReplyError extends Error {}

/** Options of {@linkcode RawSession.open}. */
export interface RawSessionOptions {
  /** Server host (default `127.0.0.1`). */
  host?: string;
  /** Local address to bind (e.g. `127.0.0.2` to pose as another host). */
  localAddress?: string;
  /** Longest wait for the greeting, ms (default 5000). */
  timeoutMs?: number;
  /** Do not wait for the greeting (the server may refuse the connection first). */
  skipGreeting?: boolean;
}

const CRLF = Buffer.from("\r\n");

/** A raw, binary-safe control connection. */
export class RawSession {
  /** The socket. */
  readonly socket: net.Socket;
  /** The greeting reply (unset with `skipGreeting`). */
  greeting: RawReply | null = null;
  /** Every reply received, counted. */
  repliesReceived = 0;
  #buffer: Buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;
  readonly #closedPromise: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#notify();
    });
    this.#closedPromise = new Promise((resolve) => {
      socket.on("close", () => {
        this.#closed = true;
        this.#notify();
        resolve();
      });
    });
    socket.on("error", () => {});
  }

  /** Connect (and read the greeting unless told not to). */
  static async open(port: number, options: RawSessionOptions = {}): Promise<RawSession> {
    const socket = net.connect({
      host: options.host ?? "127.0.0.1",
      port,
      localAddress: options.localAddress,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve();
      });
      socket.once("error", reject);
    });
    socket.setNoDelay(true);
    const session = new RawSession(socket);
    if (!options.skipGreeting) session.greeting = await session.read(options.timeoutMs ?? 5000);
    return session;
  }

  /** Whether the server closed the connection (or we did). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves when the socket is closed. */
  get whenClosed(): Promise<void> {
    return this.#closedPromise;
  }

  /** Bytes received but not yet read as replies. */
  get pendingBytes(): number {
    return this.#buffer.length;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Send raw bytes or text as is (no CRLF added). Ignores a closed socket. */
  write(data: Uint8Array | string): void {
    if (this.#closed || this.socket.destroyed) return;
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Send `line` followed by CRLF. */
  send(line: string | Uint8Array): void {
    this.write(typeof line === "string" ? Buffer.from(line + "\r\n", "utf8") : line);
    if (typeof line !== "string") this.write(CRLF);
  }

  /** Send a command and read its reply. */
  async command(line: string, timeoutMs = 5000): Promise<RawReply> {
    this.send(line);
    return await this.read(timeoutMs);
  }

  async #line(deadline: number): Promise<string> {
    while (true) {
      const at = this.#buffer.indexOf(CRLF);
      if (at >= 0) {
        const line = this.#buffer.subarray(0, at).toString("utf8");
        this.#buffer = this.#buffer.subarray(at + 2);
        return line;
      }
      if (this.#closed) throw new ConnectionGoneError("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new ReplyTimeoutError("timed out waiting for a reply");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * Read one reply (multi-line aware).
   * @throws {ConnectionGoneError} when the server closed first.
   * @throws {ReplyTimeoutError} after `timeoutMs`.
   * @throws {MalformedReplyError} when a line breaks the reply grammar.
   */
  async read(timeoutMs = 5000): Promise<RawReply> {
    const deadline = Date.now() + timeoutMs;
    const first = await this.#line(deadline);
    const m = /^([1-5]\d\d)([ -])/.exec(first);
    if (!m) throw new MalformedReplyError(`bad reply line ${JSON.stringify(first.slice(0, 80))}`);
    checkLineCharacters(first);
    const lines = [first];
    if (m[2] === "-") {
      while (true) {
        const line = await this.#line(deadline);
        checkLineCharacters(line);
        lines.push(line);
        if (line.startsWith(`${m[1]} `)) break;
        if (lines.length > 10_000) throw new MalformedReplyError("endless multi-line reply");
      }
    }
    this.repliesReceived++;
    return { code: Number(m[1]), lines };
  }

  /** Read replies until one whose first line contains `marker`; returns those before it. */
  async readUntil(marker: string, timeoutMs = 5000): Promise<RawReply[]> {
    const deadline = Date.now() + timeoutMs;
    const before: RawReply[] = [];
    while (true) {
      const reply = await this.read(Math.max(1, deadline - Date.now()));
      if (reply.lines[0].includes(marker)) return before;
      before.push(reply);
    }
  }

  /** Log in; throws unless `230`. */
  async login(user: string, password: string, timeoutMs = 5000): Promise<void> {
    const r1 = await this.command(`USER ${user}`, timeoutMs);
    if (r1.code === 230) return;
    const r2 = await this.command(`PASS ${password}`, timeoutMs);
    if (r2.code !== 230) throw new Error(`login failed: ${r2.lines.join(" | ")}`);
  }

  /** Close at once (RST-free destroy). */
  close(): void {
    this.socket.destroy();
  }
}

/** The server closed the connection while a reply was awaited. */
export class ConnectionGoneError extends Error {}
/** No reply within the time limit. */
export class ReplyTimeoutError extends Error {}

function checkLineCharacters(line: string): void {
  // A control character in a reply line (a bare CR above all) could split
  // or forge lines in a client that splits on CR: replies must not echo them.
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(line)) {
    throw new MalformedReplyError(
      `control character in reply ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
}

/** Parse `227 ... (h1,h2,h3,h4,p1,p2)` into a port. */
export function pasvPort(reply: RawReply): number {
  const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.lines[0]);
  if (reply.code !== 227 || !m) throw new Error(`not a PASV reply: ${reply.lines[0]}`);
  return Number(m[5]) * 256 + Number(m[6]);
}

/** Parse `229 ... (|||port|)` into a port. */
export function epsvPort(reply: RawReply): number {
  const m = /\(\|\|\|(\d+)\|\)/.exec(reply.lines[0]);
  if (reply.code !== 229 || !m) throw new Error(`not an EPSV reply: ${reply.lines[0]}`);
  return Number(m[1]);
}

/** Open a plain data connection to `port` and collect everything until EOF. */
export function readDataConnection(
  port: number,
  options: { host?: string; localAddress?: string; timeoutMs?: number } = {},
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host: options.host ?? "127.0.0.1",
      port,
      localAddress: options.localAddress,
    });
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ReplyTimeoutError("data connection timed out"));
    }, options.timeoutMs ?? 10_000);
    socket.on("data", (c: Buffer) => parts.push(c));
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(new Uint8Array(Buffer.concat(parts)));
    });
  });
}

/** Open a plain data connection to `port`, send `data`, then close. */
export function writeDataConnection(
  port: number,
  data: Uint8Array,
  options: { host?: string; timeoutMs?: number } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host ?? "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ReplyTimeoutError("data connection timed out"));
    }, options.timeoutMs ?? 10_000);
    socket.on("connect", () => socket.end(data));
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Outcome of {@linkcode runDataCommand}. */
export interface DataCommandResult {
  /** Replies to the command (the preliminary `150` and the final one, or one refusal). */
  replies: RawReply[];
  /** Bytes the server sent on the data connection. */
  received: Uint8Array;
  /** The connect that carried it. */
  connect: DataConnectRecord;
}

/** One data connection {@linkcode runDataCommand} opened. */
export interface DataConnectRecord {
  /** The PASV port it went to. */
  target: number;
  /** Its local port (`null` when the connect failed). */
  localPort: number | null;
  /** `Date.now()` when the connect was started, and when it succeeded or failed. */
  startedAt: number;
  endedAt: number;
  /** Why it failed, if it did. */
  error: string | null;
  /** The command it was for. */
  command: string;
}

/** How many of the latest data connects {@linkcode dataConnects} keeps. */
const DATA_CONNECTS_KEPT = 50_000;

/**
 * Every data connection {@linkcode runDataCommand} opened in this process (the
 * latest 50,000), so a test can tell whether a connection that reached a listener
 * that was not its own came from this process.
 */
export const dataConnects: DataConnectRecord[] = [];

/** The connects of this process to `port` within `windowMs` before `at`, other than `except`. */
export function otherConnectsTo(
  port: number,
  at: number,
  except: DataConnectRecord,
  windowMs = 10_000,
): DataConnectRecord[] {
  return dataConnects.filter((c) =>
    c !== except && c.target === port && c.startedAt >= at - windowMs && c.startedAt <= at
  );
}

/**
 * PASV, connect, send `command`, and finish the transfer: upload `upload`
 * when given, else collect what arrives. Works for refused commands too.
 */
export async function runDataCommand(
  session: RawSession,
  command: string,
  upload?: Uint8Array,
  timeoutMs = 10_000,
): Promise<DataCommandResult> {
  const port = pasvPort(await session.command("PASV", timeoutMs));
  // From the control connection's own address, as real clients do.
  const socket = net.connect({
    host: "127.0.0.1",
    port,
    localAddress: session.socket.localAddress,
  });
  const parts: Buffer[] = [];
  socket.on("data", (c: Buffer) => parts.push(c));
  socket.on("error", () => {});
  const closed = new Promise<void>((r) => socket.on("close", () => r()));
  const connect: DataConnectRecord = {
    target: port,
    localPort: null,
    startedAt: Date.now(),
    endedAt: 0,
    error: null,
    command,
  };
  dataConnects.push(connect);
  if (dataConnects.length > DATA_CONNECTS_KEPT) dataConnects.splice(0, DATA_CONNECTS_KEPT / 10);
  await new Promise<void>((r) => {
    socket.once("connect", () => {
      connect.localPort = socket.localPort ?? null;
      r();
    });
    socket.once("error", (err: Error) => {
      connect.error = err.message;
      r();
    });
  });
  connect.endedAt = Date.now();
  try {
    const first = await session.command(command, timeoutMs);
    const replies = [first];
    if (first.code === 150 || first.code === 125) {
      if (upload) socket.end(upload);
      replies.push(await session.read(timeoutMs));
      // The data may still be in flight after the final reply on a loaded machine:
      // wait for the server's close, bounded by the same limit.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([closed, new Promise((r) => timer = setTimeout(r, timeoutMs))]);
      clearTimeout(timer);
    }
    return { replies, received: new Uint8Array(Buffer.concat(parts)), connect };
  } finally {
    socket.destroy();
  }
}

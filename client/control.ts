/**
 * The control connection: sends commands, reads replies, and queues callers so
 * that exactly one operation talks on the wire at a time.
 *
 * @module
 */

import { abortReason, BufferedReader, waitFor } from "../streams/buffered_reader.ts";
import type { ClientTlsOptions, Connection } from "../streams/connection.ts";
import {
  ConnectionClosedError,
  FtpError,
  FtpTimeoutError,
  ProtocolError,
  StatusCodeError,
} from "../streams/errors.ts";
import { type FtpReply, ReplyParser } from "./parse_reply.ts";

/** Options of {@linkcode ControlConnection}. */
export interface ControlConnectionOptions {
  /** Character encoding of commands and replies: `"utf-8"` (default) or `"latin1"`. */
  encoding?: string;
  /** Longest wait for one reply line or one write, in milliseconds (default 30 000; 0: none). */
  socketTimeout?: number;
  /** Longest reply line in bytes (default 8192). */
  maxReplyLineLength?: number;
  /** Most characters in one (multi-line) reply (default 64 KiB). */
  maxReplyChars?: number;
  /** Called with every line sent (`">"`) and received (`"<"`); passwords are masked. */
  log?: (direction: ">" | "<", line: string) => void;
}

/** Per-call options of {@linkcode ControlConnection.command}. */
export interface CommandOptions {
  /** Cancels waiting for the reply (the reply is still read and dropped later). */
  signal?: AbortSignal;
}

/**
 * One FTP control connection.
 *
 * @example
 * ```ts
 * import { ControlConnection, getSocketAdapter } from "@ftpkit/ftp";
 * const conn = await getSocketAdapter().connect({ hostname: "127.0.0.1", port: 21 });
 * const control = new ControlConnection(conn);
 * const greeting = await control.command(null, ["220"]);
 * console.log(greeting.lines);
 * control.close();
 * ```
 */
export class ControlConnection {
  #conn: Connection;
  #reader: BufferedReader;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #decoder: TextDecoder;
  #encode: (text: string) => Uint8Array;
  #socketTimeout: number;
  #maxLineLength: number;
  #maxReplyChars: number;
  #log?: (direction: ">" | "<", line: string) => void;
  #tail: Promise<void> = Promise.resolve();
  #outstanding: Promise<unknown>[] = [];
  #failure: Error | null = null;

  /**
   * Take over a connected socket for the FTP dialogue.
   *
   * @param conn The connected socket.
   * @param options Encoding, timeouts and limits.
   */
  constructor(conn: Connection, options: ControlConnectionOptions = {}) {
    this.#conn = conn;
    const encoding = (options.encoding ?? "utf-8").toLowerCase();
    this.#decoder = new TextDecoder(encoding);
    this.#encode = encoderFor(encoding);
    this.#socketTimeout = options.socketTimeout ?? 30_000;
    this.#maxLineLength = options.maxReplyLineLength ?? 8192;
    this.#maxReplyChars = options.maxReplyChars ?? 64 * 1024;
    this.#log = options.log;
    this.#reader = new BufferedReader(conn.readable, { maxLineLength: this.#maxLineLength });
    this.#writer = conn.writable.getWriter();
    conn.closed.then(() => {
      this.#failure ??= new ConnectionClosedError("Control connection closed");
    });
  }

  /** The socket (replaced by {@linkcode ControlConnection.startTls}). */
  get connection(): Connection {
    return this.#conn;
  }

  /** Why the connection is unusable, or `null` while it works. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** The per-operation socket timeout in milliseconds. */
  get socketTimeout(): number {
    return this.#socketTimeout;
  }

  /**
   * Wait for the turn to use the connection. Callers are served in order; the
   * returned function ends the turn. A caller whose `signal` fires while it
   * waits leaves the queue without disturbing the others.
   * @throws {ConnectionClosedError} when the connection died before the turn came.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => release = resolve);
    let released = false;
    const releaseOnce = () => {
      if (released) return;
      released = true;
      release();
    };
    try {
      await waitFor(previous, { signal }, "waiting for the control connection");
      this.assertUsable();
    } catch (err) {
      // Keep the order: the next caller must not start before `previous` ends.
      previous.then(releaseOnce);
      throw err;
    }
    return releaseOnce;
  }

  /** Run `fn` during an exclusive turn (see {@linkcode ControlConnection.acquire}). */
  async exclusive<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /**
   * Check that the connection can still carry commands.
   *
   * @throws {ConnectionClosedError} when the connection can no longer be used.
   */
  assertUsable(): void {
    if (this.#failure) {
      throw this.#failure instanceof ConnectionClosedError
        ? this.#failure
        : new ConnectionClosedError(
          `Control connection is unusable: ${this.#failure.message}`,
          { cause: this.#failure },
        );
    }
  }

  /**
   * Send one command line (CRLF is added). The line must already be checked
   * for CR/LF (see `checkArgument`). A `signal` that fired already stops it
   * before anything is sent; a write once started is not interrupted, so the
   * reply it causes can be accounted for.
   */
  async send(line: string, options: CommandOptions = {}): Promise<void> {
    this.assertUsable();
    await this.#drainOutstanding();
    if (options.signal?.aborted) throw abortReason(options.signal, "sending a command");
    this.#log?.(">", /^PASS /i.test(line) ? "PASS ********" : line);
    const bytes = this.#encode(line + "\r\n");
    try {
      await waitFor(
        this.#writer.write(bytes),
        { timeoutMs: this.#socketTimeout },
        "sending a command",
      );
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  /**
   * Read the next complete reply. When `signal` fires, the caller gets an
   * `AbortedError` at once; the reply, and the final reply after it if it
   * is preliminary (1xx), are read and dropped before the next command.
   */
  readReply(options: CommandOptions = {}): Promise<FtpReply> {
    this.assertUsable();
    const reply = this.#readReplyNow();
    if (!options.signal) return reply;
    return waitFor(reply, { signal: options.signal }, "waiting for a reply").catch((err) => {
      if (options.signal?.aborted) {
        this.#outstanding.push(
          reply.then(async (first) => {
            let last = first;
            while (last.code.isPreliminary) last = await this.#readReplyNow();
          }).catch(() => {}),
        );
      }
      throw err;
    });
  }

  /**
   * Send `command` (or nothing, when `null`) and read replies, skipping those
   * that match `waitCodes`, until one arrives that does not; it must match
   * `expectedCodes` (when given).
   *
   * @param command The command line, or `null` to only read (e.g. the greeting).
   * @param expectedCodes Codes or masks (`"2xx"`) that mean success.
   * @param waitCodes Codes or masks of preliminary replies to skip.
   * @throws {StatusCodeError} when the final reply does not match `expectedCodes`.
   */
  async command(
    command: string | null,
    expectedCodes: readonly string[] = [],
    waitCodes: readonly string[] = [],
    options: CommandOptions = {},
  ): Promise<FtpReply> {
    if (command !== null) await this.send(command, options);
    while (true) {
      const reply = await this.readReply(options);
      if (waitCodes.length && reply.code.matchesAny(waitCodes)) continue;
      if (expectedCodes.length && !reply.code.matchesAny(expectedCodes)) {
        throw new StatusCodeError(expectedCodes, reply.code.value, reply.lines);
      }
      return reply;
    }
  }

  /**
   * Upgrade to TLS after the server accepted `AUTH TLS`. Bytes that arrived
   * in plain text after the `234` reply are refused: they could only be an
   * injection attempt.
   * @throws {ProtocolError} when plain-text bytes were pending.
   */
  async startTls(options: ClientTlsOptions): Promise<void> {
    const leftover = this.#reader.release();
    this.#writer.releaseLock();
    if (leftover.byteLength > 0) {
      const err = new ProtocolError("Server sent plain-text data after accepting AUTH TLS");
      this.fail(err);
      throw err;
    }
    try {
      // A server that accepts AUTH TLS and then never speaks TLS must not hang us.
      this.#conn = await waitFor(
        this.#conn.startTlsClient(options),
        { timeoutMs: this.#socketTimeout || undefined },
        "TLS handshake",
      );
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.#reader = new BufferedReader(this.#conn.readable, { maxLineLength: this.#maxLineLength });
    this.#writer = this.#conn.writable.getWriter();
    this.#conn.closed.then(() => {
      this.#failure ??= new ConnectionClosedError("Control connection closed");
    });
  }

  /** Mark the connection unusable because of `err` and close the socket. */
  fail(err: unknown): void {
    this.#failure ??= err instanceof Error ? err : new FtpError(String(err));
    this.#conn.close();
  }

  /** Close the socket. Queued and future calls fail with `ConnectionClosedError`. */
  close(): void {
    this.#failure ??= new ConnectionClosedError("Client closed");
    this.#conn.close();
  }

  async #drainOutstanding(): Promise<void> {
    while (this.#outstanding.length) {
      await this.#outstanding.shift();
      this.assertUsable();
    }
  }

  async #readReplyNow(): Promise<FtpReply> {
    const parser = new ReplyParser({ maxChars: this.#maxReplyChars });
    // The time limit covers the whole reply: a server dripping bytes or lines
    // must not restart it with every chunk.
    const deadline = this.#socketTimeout > 0 ? Date.now() + this.#socketTimeout : null;
    try {
      while (true) {
        const raw = await waitFor(
          this.#reader.readLine(),
          { timeoutMs: deadline === null ? undefined : Math.max(1, deadline - Date.now()) },
          "reply",
        );
        if (raw === null) {
          throw parser.pending
            ? new ProtocolError("Control connection closed in the middle of a multi-line reply")
            : new ConnectionClosedError("Control connection closed by the server");
        }
        const line = this.#decoder.decode(raw);
        this.#log?.("<", line);
        const reply = parser.push(line);
        if (reply) return reply;
      }
    } catch (err) {
      // After a timeout, an over-long line or garbage the reply stream can no
      // longer be trusted to line up with commands.
      const wrapped = err instanceof FtpError
        ? err
        : new ConnectionClosedError("Control connection failed", { cause: err });
      if (wrapped instanceof FtpTimeoutError) {
        this.fail(new FtpTimeoutError("waiting for a reply", this.#socketTimeout, { cause: err }));
      } else this.fail(wrapped);
      throw wrapped;
    }
  }
}

function encoderFor(encoding: string): (text: string) => Uint8Array {
  if (encoding === "utf-8" || encoding === "utf8") {
    const encoder = new TextEncoder();
    return (text) => encoder.encode(text);
  }
  if (encoding === "latin1" || encoding === "iso-8859-1" || encoding === "ascii") {
    return (text) => {
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0xff) {
          throw new RangeError(`Character ${JSON.stringify(text[i])} is not in ${encoding}`);
        }
        out[i] = c;
      }
      return out;
    };
  }
  throw new RangeError(`Unsupported control encoding ${encoding} (use "utf-8" or "latin1")`);
}

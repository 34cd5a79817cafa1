/**
 * A minimal FTP client over raw `node:net` sockets for server tests: it
 * sends exactly what a test says, so tests can probe limits, refusals and
 * malformed input that real clients never send.
 *
 * @module
 */

import * as net from "node:net";

/** One server reply. */
export interface RawReply {
  /** Reply code. */
  code: number;
  /** All lines, joined with `\n`. */
  text: string;
}

/** Options of {@linkcode RawFtp.connect}. */
export interface RawConnectOptions {
  /** Server host (default 127.0.0.1). */
  host?: string;
  /** Local address to bind the client socket to. */
  localAddress?: string;
}

/** A raw control connection. */
export class RawFtp {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  greeting!: RawReply;
  #buffer = "";
  #lines: string[] = [];
  #waiter: (() => void) | null = null;
  #ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => {
      this.#buffer += text;
      let i;
      while ((i = this.#buffer.indexOf("\r\n")) >= 0) {
        this.#lines.push(this.#buffer.slice(0, i));
        this.#buffer = this.#buffer.slice(i + 2);
      }
      this.#wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.#ended = true;
        this.#wake();
        resolve();
      });
    });
    socket.on("error", () => {});
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  /** Connect and read the greeting. */
  static async connect(port: number, options: RawConnectOptions = {}): Promise<RawFtp> {
    const socket = net.connect({
      host: options.host ?? "127.0.0.1",
      port,
      localAddress: options.localAddress,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const client = new RawFtp(socket);
    client.greeting = await client.read();
    return client;
  }

  async #line(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error("connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a reply");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.#lines.shift()!;
  }

  /** Read the next reply (multi-line aware). */
  async read(timeoutMs = 15_000): Promise<RawReply> {
    const first = await this.#line(timeoutMs);
    const m = first.match(/^(\d{3})([ -])/);
    if (!m) throw new Error(`not a reply: ${first}`);
    const lines = [first];
    if (m[2] === "-") {
      while (true) {
        const line = await this.#line(timeoutMs);
        lines.push(line);
        if (line.startsWith(m[1] + " ")) break;
      }
    }
    return { code: Number(m[1]), text: lines.join("\n") };
  }

  /** Send raw bytes or text without reading. */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Send a command line and read its reply. */
  async send(line: string, timeoutMs?: number): Promise<RawReply> {
    this.socket.write(line + "\r\n");
    return await this.read(timeoutMs);
  }

  /** USER + PASS; returns the last reply. */
  async login(user = "anonymous", pass = "x"): Promise<RawReply> {
    const r = await this.send(`USER ${user}`);
    if (r.code !== 331) return r;
    return await this.send(`PASS ${pass}`);
  }

  /** EPSV; the data port. */
  async epsv(): Promise<number> {
    const r = await this.send("EPSV");
    const m = r.text.match(/\(\|\|\|(\d+)\|\)/);
    if (r.code !== 229 || !m) throw new Error(`EPSV failed: ${r.text}`);
    return Number(m[1]);
  }

  /** Open a passive data connection and run `command` over it; returns received bytes and both replies. */
  async transfer(
    command: string,
    upload?: Uint8Array,
    localAddress?: string,
  ): Promise<{ data: Uint8Array; preliminary: RawReply; final: RawReply }> {
    const port = await this.epsv();
    const data = net.connect({ host: "127.0.0.1", port, localAddress });
    await new Promise<void>((resolve, reject) => {
      data.once("connect", resolve);
      data.once("error", reject);
    });
    const chunks: Uint8Array[] = [];
    data.on("data", (c: Uint8Array) => chunks.push(c));
    const dataClosed = new Promise<void>((resolve) => data.on("close", () => resolve()));
    data.on("error", () => {});
    const preliminary = await this.send(command);
    if (preliminary.code !== 150 && preliminary.code !== 125) {
      data.destroy();
      return { data: new Uint8Array(0), preliminary, final: preliminary };
    }
    if (upload) data.end(upload);
    await dataClosed;
    const final = await this.read(60_000);
    return { data: new Uint8Array(Buffer.concat(chunks)), preliminary, final };
  }

  /** Close the control connection. */
  close(): void {
    this.socket.destroy();
  }
}

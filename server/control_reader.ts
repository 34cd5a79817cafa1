/**
 * Reads command lines from the control connection with a length limit.
 *
 * @module
 */

import { BufferedReader, type ReadOptions } from "../streams/buffered_reader.ts";
import { LineTooLongError } from "../streams/errors.ts";

const LF = 0x0a;
const CR = 0x0d;
const IAC = 0xff;
const DM = 0xf2;
const ABOR_CR = [0x41, 0x42, 0x4f, 0x52, CR]; // "ABOR\r"
/**
 * Bytes per read where the connection lets us pick (byte streams): command
 * lines are short, and a waiting session holds this buffer for as long as
 * its client is quiet.
 */
const READ_SIZE = 1024;
const EMPTY = new Uint8Array(0);

/** Options of {@linkcode ControlLineReader}. */
export interface ControlLineReaderOptions {
  /**
   * Bytes per read when `stream` is a byte stream (default 1024); `0` reads
   * the chunks the stream allocates, and skips checking whether it is one.
   */
  readSize?: number;
  /**
   * The connection `stream` belongs to: a connection class found once to
   * offer no byte stream is not asked again (see `byobReaderOf`).
   */
  owner?: object;
}

/**
 * Splits the control stream into command lines, never buffering more than
 * `maxLineLength` bytes of an unfinished line.
 *
 * @example
 * ```ts
 * import { ControlLineReader } from "@ftpkit/ftp/server";
 * const reader = new ControlLineReader(new Blob(["NOOP\r\n"]).stream(), 512);
 * console.log(new TextDecoder().decode((await reader.readLine())!)); // "NOOP"
 * ```
 */
export class ControlLineReader {
  readonly #reader: BufferedReader;
  readonly #maxLineLength: number;
  #pending: Uint8Array = EMPTY;

  /**
   * Wrap the control connection's readable.
   * @param stream The control connection's readable (locked until `release`).
   * @param maxLineLength Longest accepted line in bytes.
   * @param options Read size.
   */
  constructor(
    stream: ReadableStream<Uint8Array>,
    maxLineLength: number,
    options: ControlLineReaderOptions = {},
  ) {
    this.#reader = new BufferedReader(stream, {
      maxLineLength,
      readSize: options.readSize ?? READ_SIZE,
      owner: options.owner,
    });
    this.#maxLineLength = maxLineLength;
  }

  /** Whether the stream is read into buffers of our own (it is a byte stream). */
  get ownBuffers(): boolean {
    return this.#reader.ownBuffers;
  }

  /** Bytes received after the last complete line. */
  get buffered(): number {
    return this.#pending.byteLength + this.#reader.buffered;
  }

  /**
   * The next line without its line ending and without leading Telnet
   * commands, or `null` when the client closed the connection.
   * @throws {LineTooLongError} when a line exceeds the limit.
   */
  async readLine(options: ReadOptions = {}): Promise<Uint8Array | null> {
    // The time limit covers the whole line: a client dripping one byte at a
    // time (slow loris) must not restart it with every byte.
    const { timeoutMs } = options;
    const deadline = timeoutMs !== undefined && timeoutMs > 0 ? Date.now() + timeoutMs : null;
    while (true) {
      const pending = this.#pending;
      const lf = pending.indexOf(LF);
      if (lf >= 0) {
        const end = lf > 0 && pending[lf - 1] === CR ? lf - 1 : lf;
        this.#pending = lf + 1 === pending.byteLength ? EMPTY : pending.subarray(lf + 1);
        if (end > this.#maxLineLength) throw new LineTooLongError(this.#maxLineLength);
        return stripTelnet(pending.slice(0, end));
      }
      // Python's ftplib sends "ABOR\r\n" as TCP urgent data; the kernel moves
      // the last byte (LF) out of band, so "ABOR\r" is all that arrives.
      if (endsWithUrgentAbort(this.#pending)) {
        const line = this.#pending.slice(0, this.#pending.byteLength - 1);
        this.#pending = EMPTY;
        return stripTelnet(line);
      }
      if (this.#pending.byteLength > this.#maxLineLength + 1) {
        throw new LineTooLongError(this.#maxLineLength);
      }
      const chunk = await this.#reader.readUpTo(
        this.#maxLineLength + 2,
        deadline === null ? options : { ...options, timeoutMs: Math.max(1, deadline - Date.now()) },
      );
      if (chunk === null) {
        if (this.#pending.byteLength === 0) return null;
        const rest = this.#pending;
        this.#pending = EMPTY;
        return stripTelnet(rest);
      }
      // The reader hands out views it never writes to again: keep one as is.
      if (this.#pending.byteLength === 0) {
        this.#pending = chunk;
        continue;
      }
      const joined = new Uint8Array(this.#pending.byteLength + chunk.byteLength);
      joined.set(this.#pending, 0);
      joined.set(chunk, this.#pending.byteLength);
      this.#pending = joined;
    }
  }

  /** Give the stream back; returns bytes received but not yet read as lines. */
  release(): Uint8Array {
    const rest = this.#reader.release();
    const out = new Uint8Array(this.#pending.byteLength + rest.byteLength);
    out.set(this.#pending, 0);
    out.set(rest, this.#pending.byteLength);
    this.#pending = EMPTY;
    return out;
  }

  /** Stop reading. */
  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

function endsWithUrgentAbort(bytes: Uint8Array): boolean {
  const start = bytes.byteLength - ABOR_CR.length;
  if (start < 0) return false;
  for (let i = 0; i < start; i++) if (bytes[i] < 0xf0) return false;
  for (let i = 0; i < ABOR_CR.length; i++) {
    const byte = bytes[start + i], want = ABOR_CR[i];
    if (byte !== want && (want === CR || (byte | 0x20) !== (want | 0x20))) return false;
  }
  return true;
}

/** Drop Telnet sequences (IAC IP, IAC DM) that clients send before ABOR. */
function stripTelnet(line: Uint8Array): Uint8Array {
  let at = 0;
  while (at < line.byteLength) {
    if (line[at] === IAC && at + 1 < line.byteLength) at += 2;
    else if (line[at] === DM) at += 1; // a DM whose IAC went out of band
    else break;
  }
  return at ? line.subarray(at) : line;
}

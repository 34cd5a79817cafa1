/**
 * {@linkcode LineSplitter}: a data connection's bytes (a directory listing)
 * cut into text lines as they arrive.
 *
 * @module
 */

import { LineTooLongError, ProtocolError } from "../streams/errors.ts";

const LF = 0x0a;

/** Limits of a {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /** Text encoding (default `"utf-8"`). */
  encoding?: string;
  /** Longest line in bytes, without its line end. */
  maxLineBytes: number;
  /** Most bytes in all. */
  maxTotalBytes: number;
}

/**
 * Cuts bytes into lines ending in LF or CRLF; the line ends are dropped. Each
 * chunk's complete lines are decoded with one `decode()` call, and only an
 * unfinished last line is kept (and copied) for the next chunk.
 *
 * @example
 * ```ts
 * const splitter = new LineSplitter({ maxLineBytes: 1024, maxTotalBytes: 1 << 20 });
 * const enc = new TextEncoder();
 * splitter.push(enc.encode("a\r\nb")); // ["a"]
 * splitter.push(enc.encode("c\r\n")); // ["bc"]
 * splitter.end(); // []
 * ```
 */
export class LineSplitter {
  readonly #decoder: TextDecoder;
  readonly #maxLineBytes: number;
  readonly #maxTotalBytes: number;
  #partial: Uint8Array = new Uint8Array(0);
  #total = 0;

  /**
   * A splitter with these limits.
   *
   * @param options Encoding and limits.
   */
  constructor(options: LineSplitterOptions) {
    this.#decoder = new TextDecoder(options.encoding ?? "utf-8");
    this.#maxLineBytes = options.maxLineBytes;
    this.#maxTotalBytes = options.maxTotalBytes;
  }

  /**
   * The lines `chunk` completes.
   * @throws {LineTooLongError} for a line over `maxLineBytes`.
   * @throws {ProtocolError} past `maxTotalBytes`.
   */
  push(chunk: Uint8Array): string[] {
    this.#total += chunk.byteLength;
    if (this.#total > this.#maxTotalBytes) {
      throw new ProtocolError(`Directory listing exceeds ${this.#maxTotalBytes} bytes`);
    }
    const lastLf = chunk.lastIndexOf(LF);
    if (lastLf < 0) {
      this.#keep(chunk);
      return [];
    }
    // Line lengths in bytes: LF never occurs inside a multi-byte character.
    let start = -this.#partial.byteLength;
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
      if (lf - start > this.#maxLineBytes + 1) throw new LineTooLongError(this.#maxLineBytes);
      start = lf + 1;
    }
    const complete = chunk.subarray(0, lastLf);
    let text: string;
    if (this.#partial.byteLength === 0) text = this.#decoder.decode(complete);
    else {
      const joined = new Uint8Array(this.#partial.byteLength + complete.byteLength);
      joined.set(this.#partial);
      joined.set(complete, this.#partial.byteLength);
      text = this.#decoder.decode(joined);
    }
    this.#partial = new Uint8Array(0);
    this.#keep(chunk.subarray(lastLf + 1));
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
    }
    return lines;
  }

  /** The last line, when the data did not end with a line end. */
  end(): string[] {
    if (this.#partial.byteLength === 0) return [];
    const text = this.#decoder.decode(this.#partial);
    this.#partial = new Uint8Array(0);
    return [text.endsWith("\r") ? text.slice(0, -1) : text];
  }

  #keep(rest: Uint8Array): void {
    if (rest.byteLength === 0) return;
    const kept = new Uint8Array(this.#partial.byteLength + rest.byteLength);
    kept.set(this.#partial);
    kept.set(rest, this.#partial.byteLength);
    if (kept.byteLength > this.#maxLineBytes + 1) throw new LineTooLongError(this.#maxLineBytes);
    this.#partial = kept;
  }
}

/**
 * Assembling FTP replies from lines (RFC 959 §4.2): a single line
 * `"226 Done"`, or a multi-line block that opens with `"211-"` and ends at the
 * first line that starts with the same code and a space.
 *
 * @module
 */

import { Code } from "../streams/code.ts";
import { ProtocolError } from "../streams/errors.ts";

/** One complete server reply. */
export interface FtpReply {
  /** The reply code. */
  code: Code;
  /** Every line as sent (code prefix included), without line endings. */
  lines: string[];
}

/** Limits of {@linkcode ReplyParser}. */
export interface ReplyParserOptions {
  /** Most lines one reply may have (default 10 000). */
  maxLines?: number;
  /** Most characters one reply may have in total (default 1 MiB). */
  maxChars?: number;
}

const FIRST_LINE = /^([1-6]\d\d)([ -]|$)/;

/**
 * Feeds reply lines in, hands complete replies out. It never holds more than
 * one reply, and refuses one that grows beyond its limits.
 *
 * @example
 * ```ts
 * import { ReplyParser } from "@ftpkit/ftp";
 * const parser = new ReplyParser();
 * parser.push("211-Features:");
 * parser.push(" MLST type*;size*;");
 * const reply = parser.push("211 End");
 * console.log(reply?.code.value, reply?.lines.length); // "211" 3
 * ```
 */
export class ReplyParser {
  #lines: string[] = [];
  #code: string | null = null;
  #chars = 0;
  #maxLines: number;
  #maxChars: number;

  /**
   * A parser for one connection's replies.
   *
   * @param options Size limits.
   */
  constructor(options: ReplyParserOptions = {}) {
    this.#maxLines = options.maxLines ?? 10_000;
    this.#maxChars = options.maxChars ?? 1024 * 1024;
  }

  /** Whether a multi-line reply has started and not ended. */
  get pending(): boolean {
    return this.#code !== null;
  }

  /**
   * Add one line. Returns the reply once it is complete, else `null`.
   * @throws {ProtocolError} on a line that cannot start a reply, or a reply over the limits.
   */
  push(line: string): FtpReply | null {
    if (this.#code === null) {
      const m = FIRST_LINE.exec(line);
      if (!m) {
        throw new ProtocolError(`Malformed reply line: ${JSON.stringify(line.slice(0, 200))}`);
      }
      if (m[2] !== "-") return { code: new Code(m[1]), lines: [line] };
      this.#code = m[1];
      this.#lines = [line];
      this.#chars = line.length;
      return null;
    }
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#lines.length > this.#maxLines || this.#chars > this.#maxChars) {
      this.#code = null;
      this.#lines = [];
      throw new ProtocolError(
        `Multi-line reply exceeds ${this.#maxLines} lines or ${this.#maxChars} characters`,
      );
    }
    if (line.startsWith(this.#code) && (line.length === 3 || line[3] === " ")) {
      const reply = { code: new Code(this.#code), lines: this.#lines };
      this.#code = null;
      this.#lines = [];
      return reply;
    }
    return null;
  }
}

/**
 * The text of a reply without the code prefixes, lines joined with `"\n"`.
 *
 * @example
 * ```ts
 * import { Code, replyText } from "@ftpkit/ftp";
 * replyText({ code: new Code("257"), lines: ['257 "/pub" is current'] }); // '"/pub" is current'
 * ```
 */
export function replyText(reply: FtpReply): string {
  return reply.lines
    .map((line, i) =>
      i === 0 || (i === reply.lines.length - 1 && line.startsWith(reply.code.value))
        ? line.slice(4)
        : line
    )
    .join("\n");
}

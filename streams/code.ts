/**
 * FTP reply codes and code masks.
 *
 * @module
 */

/**
 * A three-digit FTP reply code. {@linkcode Code.matches} compares it with a
 * mask in which `x` stands for any digit (`"2xx"`, `"1x3"`).
 *
 * @example
 * ```ts
 * import { Code } from "@ftpkit/ftp";
 * const code = new Code("226");
 * console.log(code.matches("2xx"), code.matches("22x"), code.matches("1xx")); // true true false
 * ```
 */
export class Code {
  /** The three digits, e.g. `"226"`. */
  readonly value: string;

  /**
   * Parse a reply code.
   *
   * @param value Three digits; anything else throws `RangeError`.
   */
  constructor(value: string | number) {
    const text = String(value);
    if (!/^[1-6]\d\d$/.test(text)) throw new RangeError(`Not an FTP reply code: ${text}`);
    this.value = text;
  }

  /**
   * Whether this code fits `mask` (three characters, digits or `x`).
   * @param mask A code or mask such as `"2xx"`.
   */
  matches(mask: string | Code): boolean {
    const m = typeof mask === "string" ? mask : mask.value;
    if (m.length !== 3) return false;
    for (let i = 0; i < 3; i++) {
      const c = m[i];
      if (c !== "x" && c !== "X" && c !== this.value[i]) return false;
    }
    return true;
  }

  /** Whether this code fits any of `masks`. */
  matchesAny(masks: readonly (string | Code)[]): boolean {
    return masks.some((m) => this.matches(m));
  }

  /** A positive preliminary reply (1xx): more replies follow. */
  get isPreliminary(): boolean {
    return this.value[0] === "1";
  }

  /** A positive completion (2xx). */
  get isCompletion(): boolean {
    return this.value[0] === "2";
  }

  /** A positive intermediate reply (3xx): the server wants more input. */
  get isIntermediate(): boolean {
    return this.value[0] === "3";
  }

  /** A transient (4xx) or permanent (5xx) failure. */
  get isFailure(): boolean {
    return this.value[0] === "4" || this.value[0] === "5";
  }

  /** The three digits. */
  toString(): string {
    return this.value;
  }
}

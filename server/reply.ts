/**
 * Formatting of server replies.
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x08\x0a-\x1f\x7f]/g;

/**
 * The lines of one reply: `code text` for one line, `code-first ... code last`
 * for several (RFC 959 §4.2). Continuation lines start with a space so no
 * line can be mistaken for the end.
 *
 * @example
 * ```ts
 * import { formatReply } from "@ftpkit/ftp/server";
 * console.log(formatReply(211, ["Features:", "SIZE", "End"]));
 * ```
 */
export function formatReply(code: number | string, text: string | readonly string[]): string {
  // Most replies are one clean line: no array, split or replace for them.
  if (typeof text === "string" && isPlain(text)) return `${code} ${text}\r\n`;
  // Control characters (a bare CR above all) echoed from a client's line
  // could forge reply lines in clients that split on CR: shown as "?".
  const lines = (typeof text === "string" ? [text] : [...text]).flatMap((l) =>
    l.split(/\r?\n/).map((part) => part.replace(CONTROL_CHARACTERS, "?"))
  );
  if (lines.length <= 1) return `${code} ${lines[0] ?? ""}\r\n`;
  const last = lines.pop()!;
  const [first, ...middle] = lines;
  return `${code}-${first}\r\n` + middle.map((l) => ` ${l}\r\n`).join("") + `${code} ${last}\r\n`;
}

/** Whether `text` has no control character (nothing to split or replace). */
function isPlain(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

/**
 * A path in double quotes with inner quotes doubled (RFC 959, reply 257).
 *
 * @example
 * ```ts
 * import { quotePath } from "@ftpkit/ftp/server";
 * console.log(quotePath('/a "q" dir')); // "/a ""q"" dir"
 * ```
 */
export function quotePath(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}

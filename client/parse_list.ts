/**
 * Parsers of directory listings: `LIST` lines in the Unix `ls -l` format and
 * the Windows/IIS (MS-DOS) format, and `MLSD`/`MLST` fact lines (RFC 3659).
 *
 * @module
 */

import type { FileType } from "../pathio/path_io.ts";
import { ProtocolError } from "../streams/errors.ts";
import { parseUnixMode } from "./parse_mode.ts";

/** What a listing says about one entry. */
export interface RemoteFileInfo {
  /** The entry's name as listed (for MLST, the path the server sent). */
  name: string;
  /** What it is; links are `"symlink"` when the listing says so. */
  type: FileType;
  /** Size in bytes, when listed. */
  size?: number;
  /** Last modification, when listed (UTC for MLSx; server local time read as UTC for LIST). */
  modifiedAt?: Date;
  /** Permission bits (`0o644`), when listed. */
  mode?: number;
  /** Owner name or id, when listed. */
  owner?: string;
  /** Group name or id, when listed. */
  group?: string;
  /** Link count, when listed. */
  links?: number;
  /** Target of a symbolic link, when listed. */
  linkTarget?: string;
  /** MLSx facts with lower-case names (`{type: "file", size: "12", ...}`); empty for LIST. */
  facts: Record<string, string>;
}

/**
 * A LIST line parser: returns `null` for a line it does not understand.
 * `now` is the time year-less dates are inferred against.
 */
export type ListLineParser = (line: string, now: Date) => RemoteFileInfo | null;

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};
// As `ls` prints them, so that the usual line needs no lower-cased copy.
for (const [name, month] of Object.entries(MONTHS)) {
  MONTHS[name[0].toUpperCase() + name.slice(1)] = month;
}

const UNIX_LINE = new RegExp(
  "^([-bcdlps])([-rwxsStT]{9})[.+@]?\\s+" + // type, permissions, ACL/xattr marker
    "(?:(\\d+)\\s+)?" + // links (some servers omit them)
    "(\\S+)\\s+" + // owner
    "(?:(\\S+)\\s+)?" + // group (some servers omit it)
    "(\\d+)\\s+" + // size
    "([A-Za-z]{3})\\s+(\\d{1,2})\\s+" + // month, day
    "(\\d{1,2}:\\d{2}|\\d{4})\\s" + // time (recent files) or year
    "(.+)$",
);

/**
 * Parse one `ls -l` style line (vsftpd, ProFTPD, Pure-FTPd, pyftpdlib,
 * FileZilla Server, ftp-srv and most Unix servers). Dates without a year are
 * placed in the last twelve months before `now` (plus one day of clock skew),
 * as `ls` prints them.
 *
 * @example
 * ```ts
 * import { parseUnixListLine } from "@ftpkit/ftp";
 * const info = parseUnixListLine("-rw-r--r--    1 ftp ftp  1024 Jan 05  2024 notes.txt", new Date());
 * console.log(info?.type, info?.size, info?.name); // "file" 1024 "notes.txt"
 * ```
 */
export function parseUnixListLine(line: string, now: Date = new Date()): RemoteFileInfo | null {
  const m = UNIX_LINE.exec(line);
  if (!m) return null;
  // Indexing, not destructuring: a listing parses thousands of lines before
  // the code is optimized, and array destructuring is slow until then.
  const kind = m[1];
  const perms = m[2];
  const links = m[3];
  const size = m[6];
  const mon = m[7];
  const rest = m[10];
  const month = MONTHS[mon] ?? MONTHS[mon.toLowerCase()];
  if (month === undefined) return null;
  const type: FileType = kind === "d"
    ? "dir"
    : kind === "l"
    ? "symlink"
    : kind === "-"
    ? "file"
    : "other";
  let name = rest;
  let linkTarget: string | undefined;
  if (type === "symlink") {
    const arrow = rest.indexOf(" -> ");
    if (arrow >= 0) {
      name = rest.slice(0, arrow);
      linkTarget = rest.slice(arrow + 4);
    }
  }
  return {
    name,
    type,
    size: Number(size),
    modifiedAt: unixDate(month, m[8], m[9], now),
    mode: cachedUnixMode(perms),
    owner: m[4],
    group: m[5],
    links: links === undefined ? undefined : Number(links),
    linkTarget,
    facts: {},
  };
}

const DAY_MS = 24 * 3600 * 1000;

/** The last date computed: neighbouring lines of a listing often share it. */
let lastDate = { month: -1, day: "", timeOrYear: "", now: 0, ms: 0 };

function unixDate(month: number, day: string, timeOrYear: string, now: Date): Date {
  const last = lastDate;
  const nowMs = now.getTime();
  if (
    last.month === month && last.day === day && last.timeOrYear === timeOrYear &&
    last.now === nowMs
  ) {
    return new Date(last.ms);
  }
  const ms = unixDateMs(month, Number(day), timeOrYear, now);
  lastDate = { month, day, timeOrYear, now: nowMs, ms };
  return new Date(ms);
}

function unixDateMs(month: number, day: number, timeOrYear: string, now: Date): number {
  const colon = timeOrYear.indexOf(":");
  if (colon < 0) return Date.UTC(Number(timeOrYear), month, day);
  const h = Number(timeOrYear.slice(0, colon));
  const min = Number(timeOrYear.slice(colon + 1));
  const year = now.getUTCFullYear();
  const ms = Date.UTC(year, month, day, h, min);
  // `ls` shows a time instead of a year for the last six months, so a date
  // ahead of now (beyond clock skew) belongs to the previous year.
  if (ms > now.getTime() + DAY_MS) return Date.UTC(year - 1, month, day, h, min);
  return ms;
}

/** Listings repeat a handful of permission strings: each is parsed once. */
const unixModes = new Map<string, number>();

function cachedUnixMode(perms: string): number {
  let mode = unixModes.get(perms);
  if (mode === undefined) {
    mode = parseUnixMode(perms);
    if (unixModes.size < 4096) unixModes.set(perms, mode);
  }
  return mode;
}

const WINDOWS_LINE =
  /^(\d{1,2})-(\d{1,2})-(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})\s*([AaPp][Mm])?\s+(<DIR>|\d+)\s+(.+)$/;

/**
 * Parse one Windows/IIS (MS-DOS style) line: `MM-DD-YY  hh:mmAM  <DIR>  name`
 * or `... size name`, with two- or four-digit years and 12- or 24-hour times.
 * Two-digit years below 70 are 20xx.
 *
 * @example
 * ```ts
 * import { parseWindowsListLine } from "@ftpkit/ftp";
 * const info = parseWindowsListLine("10-27-15  03:46PM       <DIR>          pub");
 * console.log(info?.type, info?.name); // "dir" "pub"
 * ```
 */
export function parseWindowsListLine(line: string): RemoteFileInfo | null {
  const m = WINDOWS_LINE.exec(line);
  if (!m) return null;
  const [, mm, dd, yy, hh, min, ampm, sizeOrDir, name] = m;
  let year = Number(yy);
  if (yy.length === 2) year += year < 70 ? 2000 : 1900;
  let hour = Number(hh);
  if (ampm) {
    const pm = ampm.toUpperCase() === "PM";
    if (hour === 12) hour = pm ? 12 : 0;
    else if (pm) hour += 12;
  }
  const dir = sizeOrDir === "<DIR>";
  return {
    name,
    type: dir ? "dir" : "file",
    size: dir ? undefined : Number(sizeOrDir),
    modifiedAt: new Date(Date.UTC(year, Number(mm) - 1, Number(dd), hour, Number(min))),
    facts: {},
  };
}

/**
 * Parse one `MLSD` line or the fact line of an `MLST` reply (RFC 3659 §7):
 * `type=file;size=1024;modify=20240105120000; notes.txt`. Fact names are
 * lower-cased; `unix.mode`, `unix.owner`/`unix.uid` and `unix.group`/`unix.gid`
 * fill the matching fields.
 *
 * @example
 * ```ts
 * import { parseMlsxLine } from "@ftpkit/ftp";
 * const info = parseMlsxLine("type=file;size=1024;modify=20240105120000.123; notes.txt");
 * console.log(info?.size, info?.modifiedAt?.toISOString()); // 1024 "2024-01-05T12:00:00.123Z"
 * ```
 */
export function parseMlsxLine(line: string): RemoteFileInfo | null {
  const text = line.startsWith(" ") ? line.slice(1) : line;
  const space = text.indexOf(" ");
  if (space < 0) return null;
  const factText = text.slice(0, space);
  const name = text.slice(space + 1);
  if (!factText.includes("=") || name === "") return null;
  const facts: Record<string, string> = {};
  for (const fact of factText.split(";")) {
    if (!fact) continue;
    const eq = fact.indexOf("=");
    if (eq <= 0) return null;
    facts[fact.slice(0, eq).toLowerCase()] = fact.slice(eq + 1);
  }
  const kind = (facts["type"] ?? "").toLowerCase();
  let type: FileType = "other";
  let linkTarget: string | undefined;
  if (kind === "file") type = "file";
  else if (kind === "dir" || kind === "cdir" || kind === "pdir") type = "dir";
  else if (kind.startsWith("os.unix=slink") || kind.startsWith("os.unix=symlink")) {
    type = "symlink";
    const colon = facts["type"].indexOf(":");
    if (colon >= 0) linkTarget = facts["type"].slice(colon + 1);
  }
  const mode = facts["unix.mode"] !== undefined ? parseInt(facts["unix.mode"], 8) : undefined;
  const size = facts["size"] ?? facts["sizd"];
  return {
    name,
    type,
    size: size !== undefined && /^\d+$/.test(size) ? Number(size) : undefined,
    modifiedAt: facts["modify"] ? parseMlsxTime(facts["modify"]) : undefined,
    mode: mode !== undefined && !Number.isNaN(mode) ? mode & 0o7777 : undefined,
    owner: facts["unix.owner"] ?? facts["unix.uid"],
    group: facts["unix.group"] ?? facts["unix.gid"],
    linkTarget,
    facts,
  };
}

/**
 * Parse an RFC 3659 time value `YYYYMMDDHHMMSS[.sss]` (UTC), as in MDTM
 * replies and MLSx `modify` facts.
 *
 * @example
 * ```ts
 * import { parseMlsxTime } from "@ftpkit/ftp";
 * parseMlsxTime("20240105120000").toISOString(); // "2024-01-05T12:00:00.000Z"
 * ```
 * @throws {ProtocolError} on a malformed value.
 */
export function parseMlsxTime(text: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) throw new ProtocolError(`Not an RFC 3659 time value: ${JSON.stringify(text)}`);
  const ms = m[7] ? Math.round(Number("0." + m[7]) * 1000) : 0;
  return new Date(
    Date.UTC(
      Number(m[1]),
      Number(m[2]) - 1,
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      ms,
    ),
  );
}

/**
 * Parse a LIST line with the built-in parsers (Unix, then Windows). Returns
 * `null` for lines that carry no entry (`total 12`, blank) or are not
 * understood.
 *
 * @example
 * ```ts
 * import { parseListLine } from "@ftpkit/ftp";
 * parseListLine("04-08-14  03:09PM                  403 readme.txt")?.size; // 403
 * ```
 */
export function parseListLine(line: string, now: Date = new Date()): RemoteFileInfo | null {
  return parseUnixListLine(line, now) ?? parseWindowsListLine(line);
}

/** Whether a LIST line is a summary or blank line that carries no entry. */
export function isListNoiseLine(line: string): boolean {
  // Entry lines start with a visible ASCII character other than t: no trimmed copy for them.
  const code = line.charCodeAt(0);
  if (code > 0x20 && code < 0x7f && (code | 0x20) !== 0x74) return false;
  const text = line.trim();
  if (text === "") return true;
  const first = text.charCodeAt(0) | 0x20; // lower case
  return first === 0x74 /* t */ && /^total\s+\d+/i.test(text);
}

/**
 * Directory listing formats: `ls -l` lines for LIST and RFC 3659 facts for
 * MLSD/MLST.
 *
 * @module
 */

import type { PathStat } from "../pathio/path_io.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const SIX_MONTHS_MS = 182 * 24 * 3600 * 1000;

/** The MLST facts the server knows, in FEAT order. */
export const MLST_FACTS: readonly string[] = ["type", "size", "modify", "perm", "unix.mode"];

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * One `ls -l` line: recent files (within six months) show `MMM dd HH:mm`,
 * older or future ones `MMM dd  yyyy`. Times are UTC.
 *
 * @example
 * ```ts
 * import { formatListLine } from "@ftpkit/ftp/server";
 * const stat = { type: "file", size: 5, mtime: 0, ctime: 0, nlink: 1, mode: 0o644 } as const;
 * console.log(formatListLine("a.txt", stat, Date.UTC(1970, 1)));
 * ```
 */
export function formatListLine(name: string, stat: PathStat, now: number = Date.now()): string {
  const kind = stat.type === "dir" ? "d" : stat.type === "symlink" ? "l" : "-";
  const d = new Date(stat.mtime);
  const recent = stat.mtime <= now + 3600_000 && now - stat.mtime < SIX_MONTHS_MS;
  const when = recent
    ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
    : ` ${d.getUTCFullYear()}`;
  const date = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, " ")} ${when}`;
  const size = String(stat.size).padStart(12, " ");
  return `${kind}${modeString(stat.mode)} ${
    String(stat.nlink || 1).padStart(3)
  } ftp ftp ${size} ${date} ${name}`;
}

/** `rwxr-xr-x` for `0o755`. */
function modeString(mode: number): string {
  const chars = "rwxrwxrwx";
  let out = "";
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? chars[i] : "-";
  return out;
}

/**
 * `YYYYMMDDHHMMSS` in UTC, the time format of MDTM and the `modify` fact.
 *
 * @example
 * ```ts
 * import { formatFtpTime } from "@ftpkit/ftp/server";
 * console.log(formatFtpTime(0)); // 19700101000000
 * ```
 */
export function formatFtpTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** Options of {@linkcode formatFacts}. */
export interface FactOptions {
  /** Facts to include (lower case), from {@linkcode MLST_FACTS}. */
  facts: readonly string[];
  /** Whether the user may read here. */
  readable: boolean;
  /** Whether the user may write here. */
  writable: boolean;
  /** `type=cdir` / `type=pdir` instead of `dir` for `.` and `..` entries. */
  dirKind?: "cdir" | "pdir";
}

/**
 * The RFC 3659 fact string of an entry, e.g. `type=file;size=5;modify=...; name`.
 *
 * @example
 * ```ts
 * import { formatFacts } from "@ftpkit/ftp/server";
 * const stat = { type: "file", size: 5, mtime: 0, ctime: 0, nlink: 1, mode: 0o644 } as const;
 * console.log(formatFacts("a.txt", stat, { facts: ["type", "size"], readable: true, writable: false }));
 * ```
 */
export function formatFacts(name: string, stat: PathStat, options: FactOptions): string {
  const dir = stat.type === "dir";
  let out = "";
  for (const fact of options.facts) {
    switch (fact) {
      case "type":
        out += `type=${
          dir ? options.dirKind ?? "dir" : stat.type === "file" ? "file" : "OS.unix=" + stat.type
        };`;
        break;
      case "size":
        out += `size=${stat.size};`;
        break;
      case "modify":
        out += `modify=${formatFtpTime(stat.mtime)};`;
        break;
      case "perm":
        out += `perm=${permFact(dir, options.readable, options.writable)};`;
        break;
      case "unix.mode":
        out += `unix.mode=0${(stat.mode & 0o7777).toString(8)};`;
        break;
    }
  }
  return `${out} ${name}`;
}

function permFact(dir: boolean, readable: boolean, writable: boolean): string {
  if (dir) return (readable ? "el" : "") + (writable ? "cmpfd" : "");
  return (readable ? "r" : "") + (writable ? "awfd" : "");
}

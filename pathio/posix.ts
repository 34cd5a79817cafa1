/**
 * Posix path helpers for FTP's virtual paths (what aioftp takes from
 * `PurePosixPath`). Pure string functions: no file system is touched.
 *
 * @module
 */

/**
 * Normalize a posix path: collapse repeated slashes, drop `.` segments and
 * resolve `..` lexically. An absolute path never goes above `/`; a relative
 * one keeps leading `..` segments. The empty path normalizes to `"."`.
 *
 * @example
 * ```ts
 * import { normalize } from "@ftpkit/ftp/pathio";
 * normalize("/a//b/./c/../d/"); // "/a/b/d"
 * normalize("/../../x"); // "/x"
 * ```
 */
export function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (absolute) return "/" + joined;
  return joined || ".";
}

/**
 * Join segments and normalize. A later absolute segment does not reset the
 * path (unlike {@linkcode resolve}).
 *
 * @example
 * ```ts
 * import { join } from "@ftpkit/ftp/pathio";
 * join("/home", "user", "../x.txt"); // "/home/x.txt"
 * ```
 */
export function join(...parts: string[]): string {
  return normalize(parts.filter((p) => p !== "").join("/"));
}

/**
 * Resolve `path` against the absolute directory `base`: an absolute `path`
 * stands alone, a relative one is taken from `base`. Always absolute.
 *
 * @example
 * ```ts
 * import { resolve } from "@ftpkit/ftp/pathio";
 * resolve("/pub", "docs/a.txt"); // "/pub/docs/a.txt"
 * resolve("/pub", "/etc"); // "/etc"
 * ```
 */
export function resolve(base: string, path: string): string {
  if (path.startsWith("/")) return normalize(path);
  return normalize((base.startsWith("/") ? base : "/" + base) + "/" + path);
}

/**
 * The parent directory (`"/"` for `"/"`; `"."` for a single relative name).
 *
 * @example
 * ```ts
 * import { parent } from "@ftpkit/ftp/pathio";
 * parent("/a/b.txt"); // "/a"
 * ```
 */
export function parent(path: string): string {
  const n = normalize(path);
  if (n === "/") return "/";
  const i = n.lastIndexOf("/");
  if (i < 0) return ".";
  if (i === 0) return "/";
  return n.slice(0, i);
}

/**
 * The last segment (`""` for `"/"`).
 *
 * @example
 * ```ts
 * import { name } from "@ftpkit/ftp/pathio";
 * name("/a/b.tar.gz"); // "b.tar.gz"
 * ```
 */
export function name(path: string): string {
  const n = normalize(path);
  if (n === "/" || n === ".") return "";
  return n.slice(n.lastIndexOf("/") + 1);
}

/**
 * The last segment's extension with its dot (`""` when none; a leading dot is
 * not an extension).
 *
 * @example
 * ```ts
 * import { suffix } from "@ftpkit/ftp/pathio";
 * suffix("/a/b.tar.gz"); // ".gz"
 * suffix("/a/.profile"); // ""
 * ```
 */
export function suffix(path: string): string {
  const base = name(path);
  const i = base.lastIndexOf(".");
  return i > 0 ? base.slice(i) : "";
}

/**
 * Whether `path` starts with `/`.
 *
 * @example
 * ```ts
 * import { isAbsolute } from "@ftpkit/ftp/pathio";
 * isAbsolute("/a"); // true
 * ```
 */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/**
 * Whether normalized absolute `path` is `root` or lies below it.
 *
 * @example
 * ```ts
 * import { isWithin } from "@ftpkit/ftp/pathio";
 * isWithin("/srv", "/srv/a"); // true
 * isWithin("/srv", "/srvx"); // false
 * ```
 */
export function isWithin(root: string, path: string): boolean {
  const r = normalize(root);
  const p = normalize(path);
  if (r === "/") return p.startsWith("/");
  return p === r || p.startsWith(r + "/");
}

/**
 * `path` relative to `root`, when it lies within it (`""` for the root itself).
 *
 * @example
 * ```ts
 * import { relative } from "@ftpkit/ftp/pathio";
 * relative("/srv", "/srv/a/b"); // "a/b"
 * ```
 * @throws {RangeError} when `path` is outside `root`.
 */
export function relative(root: string, path: string): string {
  const r = normalize(root);
  const p = normalize(path);
  if (!isWithin(r, p)) throw new RangeError(`${p} is not within ${r}`);
  if (r === p) return "";
  return p.slice(r === "/" ? 1 : r.length + 1);
}

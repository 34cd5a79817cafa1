/**
 * The jail: mapping a client's virtual path onto a user's root so that
 * nothing outside the root can be named.
 *
 * A server uses it as:
 *
 * ```ts ignore
 * const virtual = resolveVirtualPath(session.cwd, argument); // checks and normalizes
 * const backend = toBackendPath(user.basePath, virtual);     // user's root + virtual
 * await pathIO.stat(backend);
 * ```
 *
 * Virtual paths are posix paths: `/` separates, every other byte is part of a
 * name. A backslash is an ordinary character here (a file may be called
 * `a\b`); {@linkcode FsPathIO} refuses such names on Windows, where the OS
 * would read it as a separator. Percent signs are not decoded: `%2e%2e` is a
 * name, not `..`. Unicode is not normalized: look-alike dots and slashes
 * (`．．`, `／`) are ordinary characters.
 *
 * Symbolic links on disk are the backend's business: {@linkcode FsPathIO}
 * checks real paths on every operation.
 *
 * @module
 */

import { PathIOError } from "../streams/errors.ts";
import { isWithin, normalize, relative, resolve } from "./posix.ts";

/** Limits of {@linkcode resolveVirtualPath}. */
export interface VirtualPathLimits {
  /** Longest name (one path segment), in UTF-8 bytes (default 255, as on most file systems). */
  maxNameBytes?: number;
  /** Longest path, raw input and result, in UTF-8 bytes (default 4096, Linux's `PATH_MAX`). */
  maxPathBytes?: number;
}

const DEFAULT_MAX_NAME_BYTES = 255;
const DEFAULT_MAX_PATH_BYTES = 4096;
// deno-lint-ignore no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/;
const encoder = new TextEncoder();

/**
 * Resolve a client's path argument against its working directory into a
 * normalized absolute virtual path. Relative and absolute inputs, `.`, `..`,
 * repeated and trailing slashes are handled; `..` at the root stays at the
 * root.
 *
 * @example
 * ```ts
 * import { resolveVirtualPath } from "@ftpkit/ftp/pathio";
 * resolveVirtualPath("/pub", "../../etc//passwd/"); // "/etc/passwd"
 * resolveVirtualPath("/pub", "docs/./a.txt"); // "/pub/docs/a.txt"
 * ```
 *
 * @param cwd The session's current directory (absolute virtual path).
 * @param input The client's argument, relative or absolute.
 * @param limits Name and path length limits.
 * @throws {PathIOError} kind `"invalid"` for NUL, CR, LF or any other control
 * character (C0 or DEL), for a name longer than `maxNameBytes` or a path
 * longer than `maxPathBytes`.
 */
export function resolveVirtualPath(
  cwd: string,
  input: string,
  limits: VirtualPathLimits = {},
): string {
  const maxName = limits.maxNameBytes ?? DEFAULT_MAX_NAME_BYTES;
  const maxPath = limits.maxPathBytes ?? DEFAULT_MAX_PATH_BYTES;
  if (typeof input !== "string") {
    throw new PathIOError("path must be a string", { kind: "invalid" });
  }
  // Cheap bound before any encoding work: a UTF-16 unit is at least one UTF-8 byte.
  if (input.length > maxPath || byteLength(input) > maxPath) {
    throw new PathIOError(`path longer than ${maxPath} bytes`, { kind: "invalid" });
  }
  if (CONTROL_CHARACTERS.test(input)) {
    throw new PathIOError("path contains a control character (NUL, CR, LF...)", {
      kind: "invalid",
    });
  }
  const base = normalize(cwd.startsWith("/") ? cwd : "/" + cwd);
  const result = resolve(base, input);
  if (byteLength(result) > maxPath) {
    throw new PathIOError(`path longer than ${maxPath} bytes`, { kind: "invalid", path: result });
  }
  for (const segment of result.split("/")) {
    if (byteLength(segment) > maxName) {
      throw new PathIOError(`name longer than ${maxName} bytes`, { kind: "invalid", path: result });
    }
  }
  return result;
}

/**
 * The backend path of `virtualPath` for a user whose root is `basePath` (an
 * absolute path in the PathIO's namespace). The virtual path is normalized
 * first, so it can never climb above `basePath`.
 *
 * @example
 * ```ts
 * import { toBackendPath } from "@ftpkit/ftp/pathio";
 * toBackendPath("/home/ann", "/docs/a.txt"); // "/home/ann/docs/a.txt"
 * toBackendPath("/home/ann", "/../bob"); // "/home/ann/bob"
 * ```
 *
 * @throws {PathIOError} kind `"invalid"` if `basePath` is not absolute, if
 * either path contains NUL, or (defensively) if the result would leave
 * `basePath`.
 */
export function toBackendPath(basePath: string, virtualPath: string): string {
  const base = checkAbsolute(basePath, "base path");
  if (virtualPath.includes("\0")) {
    throw new PathIOError("path contains a NUL byte", { kind: "invalid" });
  }
  const virtual = normalize("/" + virtualPath);
  const result = virtual === "/" ? base : normalize(base + virtual);
  if (!isWithin(base, result)) {
    throw new PathIOError(`${virtualPath} leaves the user's root`, {
      kind: "invalid",
      path: virtualPath,
    });
  }
  return result;
}

/**
 * The virtual path that `backendPath` has for a user whose root is
 * `basePath`: the inverse of {@linkcode toBackendPath}.
 *
 * @example
 * ```ts
 * import { toVirtualPath } from "@ftpkit/ftp/pathio";
 * toVirtualPath("/home/ann", "/home/ann/docs"); // "/docs"
 * toVirtualPath("/home/ann", "/home/ann"); // "/"
 * ```
 *
 * @throws {PathIOError} kind `"invalid"` if `backendPath` lies outside `basePath`.
 */
export function toVirtualPath(basePath: string, backendPath: string): string {
  const base = checkAbsolute(basePath, "base path");
  const path = checkAbsolute(backendPath, "backend path");
  if (!isWithin(base, path)) {
    throw new PathIOError(`${backendPath} is outside ${basePath}`, {
      kind: "invalid",
      path: backendPath,
    });
  }
  return "/" + relative(base, path);
}

function checkAbsolute(path: string, what: string): string {
  if (typeof path !== "string" || !path.startsWith("/") || path.includes("\0")) {
    throw new PathIOError(`${what} must be an absolute path: ${JSON.stringify(path)}`, {
      kind: "invalid",
    });
  }
  return normalize(path);
}

function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

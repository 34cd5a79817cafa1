/**
 * Path permissions of a user (aioftp's `Permission`).
 *
 * @module
 */

import { isWithin, normalize } from "../pathio/posix.ts";

/** Options of {@linkcode Permission}. */
export interface PermissionOptions {
  /** May list, read and download (default `true`). */
  readable?: boolean;
  /** May upload, create, rename and delete (default `true`). */
  writable?: boolean;
}

/**
 * What a user may do below a virtual path. Among a user's permissions the one
 * with the longest matching path wins.
 *
 * @example
 * ```ts
 * import { Permission } from "@ftpkit/ftp/server";
 * const readOnly = new Permission("/", { writable: false });
 * const uploads = new Permission("/incoming", { readable: false, writable: true });
 * ```
 */
export class Permission {
  /** The virtual path (as the user sees it) this applies to, with everything below it. */
  readonly path: string;
  /** May list, read and download. */
  readonly readable: boolean;
  /** May upload, create, rename and delete. */
  readonly writable: boolean;

  /**
   * A permission for `path` and below.
   * @param path Virtual path, absolute.
   * @param options Rights (both default to `true`).
   */
  constructor(path = "/", options: PermissionOptions = {}) {
    this.path = normalize(path.startsWith("/") ? path : "/" + path);
    this.readable = options.readable ?? true;
    this.writable = options.writable ?? true;
  }

  /** Whether this permission covers `virtualPath`. */
  covers(virtualPath: string): boolean {
    return isWithin(this.path, virtualPath);
  }
}

/**
 * The permission that applies to `virtualPath`: the covering one with the
 * longest path, or `fallback` when none covers it.
 *
 * @example
 * ```ts
 * import { Permission, permissionFor } from "@ftpkit/ftp/server";
 * const p = permissionFor([new Permission("/"), new Permission("/ro", { writable: false })], "/ro/a");
 * console.log(p.writable); // false
 * ```
 */
export function permissionFor(
  permissions: readonly Permission[],
  virtualPath: string,
  fallback: Permission = NO_PERMISSION,
): Permission {
  let best: Permission | undefined;
  for (const p of permissions) {
    if (p.covers(virtualPath) && (!best || p.path.length > best.path.length)) best = p;
  }
  return best ?? fallback;
}

const NO_PERMISSION = new Permission("/", { readable: false, writable: false });

/**
 * Local paths of the CLI: resolving against the working directory and
 * picking the file name inside a destination directory. Uses `node:fs` and
 * `node:path` (CLI code, not core).
 *
 * @module
 */

import { statSync } from "node:fs";
import { resolve, sep } from "node:path";
import { name as remoteBaseName } from "../pathio/posix.ts";

/** Whether `path` is an existing local directory. */
export function isLocalDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where a download of `remotePath` lands: `local` itself, or (when `local`
 * is omitted, an existing directory or ends with a separator) the remote
 * file name inside it. Always absolute.
 */
export function downloadTargetPath(
  remotePath: string,
  local: string | undefined,
  cwd: string,
): string {
  const name = remoteBaseName(remotePath.replace(/\/+$/, "")) || "download";
  if (local === undefined) return resolve(cwd, name);
  const absolute = resolve(cwd, local);
  const namesDirectory = local.endsWith("/") || local.endsWith(sep) || isLocalDirectory(absolute);
  return namesDirectory ? resolve(absolute, name) : absolute;
}

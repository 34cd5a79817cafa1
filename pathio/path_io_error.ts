/**
 * Turning any storage failure into a {@linkcode PathIOError} with the right
 * `kind`, so that every backend reports failures the same way.
 *
 * @module
 */

import {
  AbortedError,
  FtpTimeoutError,
  PathIOError,
  type PathIOErrorKind,
} from "../streams/errors.ts";

/** Posix error codes (Node-style `code`, also used by Deno's and Bun's `node:fs`). */
const KIND_BY_CODE: Record<string, PathIOErrorKind> = {
  ENOENT: "not-found",
  EEXIST: "exists",
  ENOTDIR: "not-a-directory",
  EISDIR: "is-a-directory",
  ENOTEMPTY: "not-empty",
  EACCES: "permission",
  EPERM: "permission",
  EROFS: "permission",
  ELOOP: "permission",
  ENOSPC: "no-space",
  EDQUOT: "no-space",
  EFBIG: "no-space",
  EINVAL: "invalid",
  ENAMETOOLONG: "invalid",
  EBADF: "invalid",
  EXDEV: "invalid",
  ETIMEDOUT: "timeout",
  ABORT_ERR: "aborted",
};

/** Error class names of the runtimes' native file APIs (Deno's `Deno.errors.*`, DOM errors). */
const KIND_BY_NAME: Record<string, PathIOErrorKind> = {
  NotFound: "not-found",
  NotFoundError: "not-found",
  AlreadyExists: "exists",
  NotADirectory: "not-a-directory",
  IsADirectory: "is-a-directory",
  PermissionDenied: "permission",
  NotCapable: "permission",
  InvalidData: "invalid",
  TimedOut: "timeout",
  TimeoutError: "timeout",
  AbortError: "aborted",
};

/**
 * Wrap `err` as a {@linkcode PathIOError}: a `PathIOError` is returned as it
 * is; a timeout or abort becomes kind `"timeout"` / `"aborted"`; a runtime
 * file-system error gets the kind its `code` (or Deno error name) stands for;
 * anything else becomes kind `"other"`. The original is kept as `cause`.
 *
 * @example
 * ```ts
 * import { toPathIOError } from "@ftpkit/ftp/pathio";
 * const err = toPathIOError(Object.assign(new Error("gone"), { code: "ENOENT" }), "stat", "/a");
 * console.log(err.kind); // "not-found"
 * ```
 *
 * @param err What the backend threw.
 * @param what The operation, for the message.
 * @param path The path involved, if any.
 */
export function toPathIOError(err: unknown, what: string, path?: string): PathIOError {
  if (err instanceof PathIOError) return err;
  const kind = kindOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  const where = path === undefined ? "" : ` ${JSON.stringify(path)}`;
  return new PathIOError(`${what}${where} failed: ${detail}`, { kind, path, cause: err });
}

function kindOf(err: unknown): PathIOErrorKind {
  if (err instanceof FtpTimeoutError) return "timeout";
  if (err instanceof AbortedError) return "aborted";
  const e = err as { code?: unknown; name?: unknown } | null | undefined;
  if (typeof e?.code === "string" && KIND_BY_CODE[e.code]) return KIND_BY_CODE[e.code];
  if (typeof e?.name === "string" && KIND_BY_NAME[e.name]) return KIND_BY_NAME[e.name];
  return "other";
}

/**
 * Exit codes of the `ftpkit` client commands, and which errors map to which.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | unexpected internal error (a bug: please report it) |
 * | 2 | usage error: unknown option, missing or malformed argument or URL |
 * | 3 | connection or login failed: DNS, refused, TLS, timeout, wrong password |
 * | 4 | transfer or remote error after login: missing file, permission, checksum, dropped connection, local file error |
 * | 130 | interrupted (Ctrl-C) |
 *
 * @module
 */

import { FtpError } from "../streams/errors.ts";
import { CliUsageError } from "./cli_arguments.ts";

/** Exit code: the command succeeded. */
export const EXIT_SUCCESS = 0;
/** Exit code: an unexpected internal error. */
export const EXIT_INTERNAL_ERROR = 1;
/** Exit code: the command line is wrong. */
export const EXIT_USAGE_ERROR = 2;
/** Exit code: connecting or logging in failed. */
export const EXIT_CONNECTION_ERROR = 3;
/** Exit code: a transfer or remote operation failed after login. */
export const EXIT_TRANSFER_ERROR = 4;
/** Exit code: interrupted by SIGINT (128 + 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/**
 * Connecting or logging in failed (exit code 3); `cause` says why.
 */
export class CliConnectionError extends FtpError {}

/**
 * The exit code for `error`: usage errors 2, {@linkcode CliConnectionError}
 * 3, other ftpkit errors and system errors (`ENOENT` from a local file) 4,
 * anything else 1 (a bug).
 */
export function exitCodeForError(error: unknown): number {
  if (error instanceof CliUsageError) return EXIT_USAGE_ERROR;
  if (error instanceof CliConnectionError) return EXIT_CONNECTION_ERROR;
  const isSystemError = error instanceof Error &&
    typeof (error as { code?: unknown }).code === "string";
  if (error instanceof FtpError || isSystemError) return EXIT_TRANSFER_ERROR;
  return EXIT_INTERNAL_ERROR;
}

/** One line describing `error` for the terminal, with its causes. */
export function describeCliError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const text = current instanceof Error ? current.message : String(current);
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}

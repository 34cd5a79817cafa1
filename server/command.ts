/**
 * The shape of command handlers and the table they live in (aioftp's
 * `commands_mapping`).
 *
 * @module
 */

import type { ServerSession } from "./session.ts";

/** One FTP command's handler and its preconditions. */
export interface CommandHandler {
  /** Whether the command needs a logged-in user (default `true`). */
  requiresLogin?: boolean;
  /** Whether the argument is required, forbidden or optional (default `"optional"`). */
  argument?: "required" | "none" | "optional";
  /** Whether the command is answered at once while a transfer runs (ABOR, STAT, NOOP, QUIT). */
  duringTransfer?: boolean;
  /** Runs the command; replies through `session.reply`. */
  run(session: ServerSession, argument: string): Promise<void> | void;
}

/**
 * Handlers by upper-case command name. Pass your own in
 * `ServerOptions.commands` to add or override commands.
 *
 * @example
 * ```ts
 * import type { CommandTable } from "@ftpkit/ftp/server";
 * const commands: CommandTable = {
 *   SITE: { run: (session, arg) => session.reply(200, `SITE ${arg} ignored`) },
 * };
 * ```
 */
export type CommandTable = Record<string, CommandHandler>;

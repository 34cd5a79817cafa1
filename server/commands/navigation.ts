/**
 * Working directory commands: PWD, CWD, CDUP (and their X variants).
 *
 * @module
 */

import type { CommandHandler, CommandTable } from "../command.ts";
import { quotePath } from "../reply.ts";
import { ReplyError, type ServerSession } from "../session.ts";

async function changeDirectory(session: ServerSession, input: string): Promise<void> {
  const { virtual, backend } = session.checkedPath(input, "read");
  if (!(await session.io().isDir(backend, session.pathOptions()))) {
    throw new ReplyError(550, "No such directory");
  }
  session.cwd = virtual;
  await session.reply(250, `Directory changed to ${quotePath(virtual)}`);
}

const pwd: CommandHandler = {
  argument: "none",
  run: (session) => session.reply(257, `${quotePath(session.cwd)} is the current directory`),
};
const cwd: CommandHandler = {
  argument: "required",
  run: (session, path) => changeDirectory(session, path),
};
const cdup: CommandHandler = {
  argument: "none",
  run: (session) => changeDirectory(session, ".."),
};

/** PWD, CWD, CDUP, XPWD, XCWD, XCUP. */
export const navigationCommands: CommandTable = {
  PWD: pwd,
  XPWD: pwd,
  CWD: cwd,
  XCWD: cwd,
  CDUP: cdup,
  XCUP: cdup,
};

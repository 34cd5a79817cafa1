/**
 * File management commands: MKD, RMD, DELE, RNFR, RNTO, SIZE, MDTM.
 *
 * @module
 */

import type { CommandHandler, CommandTable } from "../command.ts";
import { formatFtpTime } from "../listing.ts";
import { quotePath } from "../reply.ts";
import { ReplyError } from "../session.ts";

const mkd: CommandHandler = {
  argument: "required",
  async run(session, input) {
    const { virtual, backend } = session.checkedPath(input, "write");
    await session.io().mkdir(backend, session.pathOptions());
    await session.reply(257, `${quotePath(virtual)} created`);
  },
};
const rmd: CommandHandler = {
  argument: "required",
  async run(session, input) {
    const { virtual, backend } = session.checkedPath(input, "write");
    if (virtual === "/") throw new ReplyError(550, "Cannot remove the root directory");
    await session.io().rmdir(backend, session.pathOptions());
    await session.reply(250, "Directory removed");
  },
};

/** MKD, RMD (and XMKD, XRMD), DELE, RNFR, RNTO, SIZE, MDTM. */
export const fileCommands: CommandTable = {
  MKD: mkd,
  XMKD: mkd,
  RMD: rmd,
  XRMD: rmd,
  DELE: {
    argument: "required",
    async run(session, input) {
      const { backend } = session.checkedPath(input, "write");
      await session.io().unlink(backend, session.pathOptions());
      await session.reply(250, "File deleted");
    },
  },
  RNFR: {
    argument: "required",
    async run(session, input) {
      const { virtual, backend } = session.checkedPath(input, "write");
      if (!(await session.io().exists(backend, session.pathOptions()))) {
        throw new ReplyError(550, "No such file or directory");
      }
      session.renameFrom = virtual;
      await session.reply(350, "Ready for RNTO");
    },
  },
  RNTO: {
    argument: "required",
    async run(session, input) {
      const from = session.renameFrom;
      session.renameFrom = null;
      if (from === null) throw new ReplyError(503, "Send RNFR first");
      const { backend } = session.checkedPath(input, "write");
      const source = session.checkedPath(from, "write").backend;
      await session.io().rename(source, backend, session.pathOptions());
      await session.reply(250, "Renamed");
    },
  },
  SIZE: {
    argument: "required",
    async run(session, input) {
      const { backend } = session.checkedPath(input, "read");
      const stat = await session.io().stat(backend, session.pathOptions());
      if (stat.type !== "file") throw new ReplyError(550, "Not a regular file");
      await session.reply(213, String(stat.size));
    },
  },
  MDTM: {
    argument: "required",
    async run(session, input) {
      const { backend } = session.checkedPath(input, "read");
      const stat = await session.io().stat(backend, session.pathOptions());
      if (stat.type !== "file") throw new ReplyError(550, "Not a regular file");
      await session.reply(213, formatFtpTime(stat.mtime));
    },
  },
};

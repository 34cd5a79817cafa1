/**
 * FTPS commands (RFC 4217): AUTH, PBSZ, PROT.
 *
 * @module
 */

import type { CommandTable } from "../command.ts";
import { ReplyError } from "../session.ts";

/** AUTH, PBSZ and PROT. */
export const securityCommands: CommandTable = {
  AUTH: {
    requiresLogin: false,
    argument: "required",
    async run(session, mechanism) {
      const m = mechanism.trim().toUpperCase();
      if (!session.settings.tls) throw new ReplyError(502, "TLS is not configured");
      if (session.secure) throw new ReplyError(503, "Already using TLS");
      if (m !== "TLS" && m !== "TLS-C" && m !== "SSL") {
        throw new ReplyError(504, `AUTH ${m.slice(0, 16)} not supported`);
      }
      await session.upgradeToTls();
    },
  },
  PBSZ: {
    requiresLogin: false,
    argument: "required",
    async run(session) {
      if (!session.secure) throw new ReplyError(503, "PBSZ needs a TLS control connection");
      session.protectionBufferSizeSet = true;
      await session.reply(200, "PBSZ=0");
    },
  },
  PROT: {
    requiresLogin: false,
    argument: "required",
    async run(session, level) {
      if (!session.secure) throw new ReplyError(503, "PROT needs a TLS control connection");
      const l = level.trim().toUpperCase();
      if (l === "P") {
        session.protection = "P";
        await session.reply(200, "Protection level set to Private");
      } else if (l === "C") {
        if (session.settings.requireDataTls) {
          throw new ReplyError(534, "Data connections must be protected");
        }
        session.protection = "C";
        await session.reply(200, "Protection level set to Clear");
      } else if (l === "S" || l === "E") {
        throw new ReplyError(536, `PROT ${l} not supported`);
      } else {
        throw new ReplyError(504, "Unknown protection level");
      }
    },
  },
};

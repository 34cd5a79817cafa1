/**
 * Login commands: USER, PASS, ACCT, REIN, QUIT.
 *
 * @module
 */

import type { CommandTable } from "../command.ts";
import { ReplyError, type ServerSession } from "../session.ts";

function refuseWithoutTls(session: ServerSession): void {
  if (session.settings.requireTls && !session.secure) {
    throw new ReplyError(530, "TLS required: use AUTH TLS first");
  }
}

/** USER, PASS, ACCT, REIN and QUIT. */
export const loginCommands: CommandTable = {
  USER: {
    requiresLogin: false,
    argument: "required",
    async run(session, login) {
      refuseWithoutTls(session);
      session.endLogin();
      session.loginName = login;
      const lookup = await session.host.userManager.getUser(login);
      if (lookup.status === "ok") {
        await session.completeLogin(lookup.user);
        return;
      }
      // A refused name still gets 331 so names cannot be probed; PASS fails.
      session.pendingUser = lookup.status === "password-required" ? lookup.user : null;
      await session.reply(
        331,
        lookup.status === "password-required" && lookup.message
          ? lookup.message
          : "Password required",
      );
    },
  },
  PASS: {
    requiresLogin: false,
    async run(session, password) {
      refuseWithoutTls(session);
      if (session.user) {
        await session.reply(230, "Already logged in");
        return;
      }
      if (!session.loginName) throw new ReplyError(503, "Send USER first");
      const user = session.pendingUser;
      const ok = user ? await session.host.userManager.authenticate(user, password) : false;
      if (user && ok) {
        await session.completeLogin(user);
        return;
      }
      session.failedLogins++;
      session.pendingUser = null;
      session.loginName = "";
      await new Promise((r) => setTimeout(r, session.settings.failedLoginDelay));
      if (session.failedLogins >= session.settings.maxLoginAttempts) {
        await session.reply(421, "Too many failed logins, closing connection");
        await session.hangUp();
        return;
      }
      await session.reply(530, "Login incorrect");
    },
  },
  ACCT: {
    requiresLogin: false,
    run: (session) => session.reply(202, "ACCT not needed"),
  },
  REIN: {
    requiresLogin: false,
    argument: "none",
    async run(session) {
      session.endLogin();
      session.pendingUser = null;
      session.loginName = "";
      session.renameFrom = null;
      session.restOffset = 0;
      session.transferType = "A";
      session.data.reset();
      await session.reply(220, "Ready for a new user");
    },
  },
  QUIT: {
    requiresLogin: false,
    async run(session) {
      await session.reply(221, "Goodbye");
      await session.hangUp();
    },
  },
};

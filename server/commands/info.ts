/**
 * Session settings and information: NOOP, SYST, FEAT, OPTS, HELP, STAT,
 * ALLO, TYPE, STRU, MODE.
 *
 * @module
 */

import type { CommandTable } from "../command.ts";
import { FTP_HASH_ALGORITHMS, type FtpHashAlgorithm } from "../../streams/hash/mod.ts";
import { MLST_FACTS } from "../listing.ts";
import { ReplyError, type ServerSession } from "../session.ts";
import { listingLines } from "./listing.ts";

function features(session: ServerSession): string[] {
  const lines: string[] = [];
  if (session.settings.tls) lines.push("AUTH TLS", "PBSZ", "PROT");
  lines.push(
    "EPRT",
    "EPSV",
    "HASH " + FTP_HASH_ALGORITHMS.map((a) => a === session.hashAlgorithm ? a + "*" : a).join(";"),
    "MDTM",
    "MLST " + MLST_FACTS.map((f) => session.mlstFacts.includes(f) ? f + "*" : f).join(";") + ";",
    "RANG STREAM",
    "REST STREAM",
    "SIZE",
    "TVFS",
  );
  if (session.settings.encoding === "utf-8") lines.push("UTF8");
  return lines;
}

function setOption(session: ServerSession, argument: string): Promise<void> {
  const [name, ...rest] = argument.trim().split(/\s+/);
  const value = rest.join(" ");
  switch (name.toUpperCase()) {
    case "UTF8":
    case "UTF-8": {
      // The encoding is the server's setting; a client may only confirm it.
      const on = value.toUpperCase() !== "OFF";
      if (on === (session.settings.encoding === "utf-8")) {
        return session.reply(200, `UTF8 mode ${on ? "on" : "off"}`);
      }
      throw new ReplyError(
        504,
        `UTF8 ${on ? "ON" : "OFF"} not supported: paths are ${session.settings.encoding}`,
      );
    }
    case "MLST": {
      const wanted = value.toLowerCase().split(";").filter((f) => MLST_FACTS.includes(f));
      session.mlstFacts = MLST_FACTS.filter((f) => wanted.includes(f));
      return session.reply(200, `MLST OPTS ${session.mlstFacts.map((f) => f + ";").join("")}`);
    }
    case "HASH": {
      if (value === "") return session.reply(200, session.hashAlgorithm);
      const algorithm = FTP_HASH_ALGORITHMS.find((a) => a === value.toUpperCase());
      if (!algorithm) throw new ReplyError(501, "Unknown hash algorithm");
      session.hashAlgorithm = algorithm as FtpHashAlgorithm;
      return session.reply(200, algorithm);
    }
    default:
      throw new ReplyError(501, `Unknown option ${name.slice(0, 32)}`);
  }
}

async function status(session: ServerSession, argument: string): Promise<void> {
  if (argument.trim() !== "") {
    if (!session.user) throw new ReplyError(530, "Please log in with USER and PASS first");
    const lines: string[] = [];
    for await (const line of await listingLines(session, argument.trim(), "list")) {
      lines.push(line);
      if (lines.length >= 10_000) break;
    }
    await session.reply(213, [
      `Status of ${session.virtualPath(argument.trim())}:`,
      ...lines,
      "End of status",
    ]);
    return;
  }
  const lines = [
    "ftpkit FTP server status:",
    `Connected from ${session.connection.remoteAddress.hostname}`,
    session.user ? `Logged in as ${session.loginName}` : "Not logged in",
    `TYPE: ${session.transferType === "A" ? "ASCII" : "BINARY"}; STRU: File; MODE: Stream`,
    `Control connection: ${
      session.secure ? "TLS" : "plain"
    }; data protection: ${session.protection}`,
  ];
  const running = session.transferStatus;
  if (running) {
    lines.push(`Transfer in progress: ${running.description}, ${running.bytes} bytes so far`);
  } else lines.push("No transfer in progress");
  lines.push("End of status");
  await session.reply(211, lines);
}

/** NOOP, SYST, FEAT, OPTS, HELP, STAT, ALLO, TYPE, STRU, MODE. */
export const infoCommands: CommandTable = {
  NOOP: { requiresLogin: false, duringTransfer: true, run: (s) => s.reply(200, "NOOP ok") },
  SYST: { requiresLogin: false, run: (s) => s.reply(215, "UNIX Type: L8") },
  FEAT: {
    requiresLogin: false,
    run: (s) => s.reply(211, ["Features:", ...features(s), "End"]),
  },
  OPTS: { requiresLogin: false, argument: "required", run: setOption },
  HELP: {
    requiresLogin: false,
    async run(session) {
      const names = Object.keys(session.host.commands).sort();
      const rows: string[] = [];
      for (let i = 0; i < names.length; i += 8) rows.push(names.slice(i, i + 8).join(" "));
      await session.reply(214, ["The following commands are recognized:", ...rows, "Help OK"]);
    },
  },
  STAT: { requiresLogin: false, duringTransfer: true, run: status },
  ALLO: { run: (s) => s.reply(202, "ALLO not needed") },
  TYPE: {
    argument: "required",
    async run(session, argument) {
      const [kind, format] = argument.trim().toUpperCase().split(/\s+/);
      if (kind === "I" || (kind === "L" && format === "8")) session.transferType = "I";
      else if (kind === "A" && (!format || format === "N")) session.transferType = "A";
      else throw new ReplyError(504, `TYPE ${argument.slice(0, 16)} not supported`);
      await session.reply(200, `Type set to ${session.transferType}`);
    },
  },
  STRU: {
    argument: "required",
    async run(session, argument) {
      if (argument.trim().toUpperCase() !== "F") throw new ReplyError(504, "Only STRU F");
      await session.reply(200, "Structure set to F");
    },
  },
  MODE: {
    argument: "required",
    async run(session, argument) {
      if (argument.trim().toUpperCase() !== "S") throw new ReplyError(504, "Only MODE S");
      await session.reply(200, "Mode set to S");
    },
  },
};

/**
 * Data connection setup: PASV, EPSV, PORT, EPRT, and ABOR.
 *
 * @module
 */

import type { NetAddress } from "../../streams/connection.ts";
import type { CommandTable } from "../command.ts";
import { sameHost } from "../data_channel.ts";
import { ReplyError, type ServerSession } from "../session.ts";

function refuseAfterEpsvAll(session: ServerSession, name: string): void {
  if (session.epsvAll) throw new ReplyError(503, `${name} not allowed after EPSV ALL`);
}

function listen(session: ServerSession): Promise<NetAddress> {
  const { settings } = session;
  return session.data.listen(
    session.connection.localAddress.hostname,
    session.host.dataPortCandidates(),
    session.protection === "P" && settings.tls ? settings.tls : undefined,
  );
}

/**
 * Check an active-mode target: only the client's own address, only
 * unprivileged ports (no FTP bounce, RFC 2577).
 */
function checkActiveTarget(session: ServerSession, target: NetAddress): void {
  if (!sameHost(target.hostname, session.connection.remoteAddress.hostname)) {
    throw new ReplyError(504, "Data connections go to the client's own address only");
  }
  if (target.port < 1024) throw new ReplyError(504, "Refusing a privileged data port");
}

function parsePort(argument: string): NetAddress | null {
  const parts = argument.trim().split(",");
  if (parts.length !== 6 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return null;
  }
  const n = parts.map(Number);
  return { hostname: n.slice(0, 4).join("."), port: n[4] * 256 + n[5], family: "IPv4" };
}

function parseEprt(argument: string): NetAddress | "unsupported" | null {
  const text = argument.trim();
  const delimiter = text[0];
  if (!delimiter || delimiter.charCodeAt(0) < 33 || delimiter.charCodeAt(0) > 126) return null;
  const parts = text.split(delimiter);
  if (parts.length !== 5 || parts[0] !== "" || parts[4] !== "") return null;
  const [, protocol, hostname, portText] = parts;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
  if (protocol === "1" && /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)) {
    return { hostname, port: Number(portText), family: "IPv4" };
  }
  if (protocol === "2" && hostname.includes(":")) {
    return { hostname, port: Number(portText), family: "IPv6" };
  }
  return protocol === "1" || protocol === "2" ? null : "unsupported";
}

/** PASV, EPSV, PORT, EPRT, ABOR. */
export const dataCommands: CommandTable = {
  PASV: {
    argument: "none",
    async run(session) {
      refuseAfterEpsvAll(session, "PASV");
      const forced = session.settings.ipv4PasvForcedResponseAddress;
      const local = session.connection.localAddress;
      if (!forced && local.family !== "IPv4") {
        throw new ReplyError(425, "PASV is IPv4 only; use EPSV");
      }
      const address = await listen(session);
      const host = (forced ?? local.hostname).split(".").join(",");
      const { port } = address;
      await session.reply(227, `Entering Passive Mode (${host},${port >> 8},${port & 0xff})`);
    },
  },
  EPSV: {
    async run(session, argument) {
      const arg = argument.trim().toUpperCase();
      if (arg === "ALL") {
        session.epsvAll = true;
        await session.reply(200, "EPSV ALL accepted");
        return;
      }
      const family = session.connection.localAddress.family;
      const mine = family === "IPv4" ? "1" : "2";
      if (arg !== "" && arg !== mine) {
        throw new ReplyError(522, `Network protocol not supported, use (${mine})`);
      }
      const address = await listen(session);
      await session.reply(229, `Entering Extended Passive Mode (|||${address.port}|)`);
    },
  },
  PORT: {
    argument: "required",
    async run(session, argument) {
      refuseAfterEpsvAll(session, "PORT");
      const target = parsePort(argument);
      if (!target) throw new ReplyError(501, "Malformed PORT argument");
      checkActiveTarget(session, target);
      session.data.setActive(target);
      await session.reply(200, "PORT command successful");
    },
  },
  EPRT: {
    argument: "required",
    async run(session, argument) {
      refuseAfterEpsvAll(session, "EPRT");
      const target = parseEprt(argument);
      if (target === "unsupported") {
        throw new ReplyError(522, "Network protocol not supported, use (1,2)");
      }
      if (!target) throw new ReplyError(501, "Malformed EPRT argument");
      checkActiveTarget(session, target);
      session.data.setActive(target);
      await session.reply(200, "EPRT command successful");
    },
  },
  ABOR: {
    duringTransfer: true,
    async run(session) {
      if (await session.abortTransfer()) {
        await session.reply(226, "ABOR successful");
        return;
      }
      session.data.reset();
      await session.reply(225, "No transfer to abort");
    },
  },
};

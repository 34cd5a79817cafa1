/**
 * Opening data connections: passive (EPSV, PASV) and active (EPRT, PORT),
 * plain or TLS (`PROT P`, resuming the control connection's session).
 *
 * @module
 */

import { waitFor } from "../streams/buffered_reader.ts";
import type {
  ClientTlsOptions,
  Connection,
  Listener,
  SocketAdapter,
} from "../streams/connection.ts";
import { NoAvailablePortError, SocketError, StatusCodeError } from "../streams/errors.ts";
import type { ControlConnection } from "./control.ts";
import { TlsSessionReuseError } from "./errors.ts";
import {
  formatEprtArgument,
  formatPortArgument,
  parseEpsvReply,
  parsePasvReply,
  type PassiveAddress,
} from "./parse_pasv.ts";
import { type FtpReply, replyText } from "./parse_reply.ts";

/** A passive-mode command. */
export type PassiveCommand = "epsv" | "pasv";

/** Everything needed to open one data connection. */
export interface DataConnectionSettings {
  /** The control connection (its turn must be held by the caller). */
  control: ControlConnection;
  /** Opens sockets. */
  adapter: SocketAdapter;
  /** Passive (`true`) or active mode. */
  passive: boolean;
  /** Passive commands to try, in order. Commands the server refused are removed. */
  passiveCommands: PassiveCommand[];
  /** Connect to the host a PASV reply names instead of the control connection's peer. */
  trustPassiveHost: boolean;
  /** Local ports for active mode (`[min, max]`, inclusive); any free port when absent. */
  activePortRange?: readonly [number, number];
  /** TLS options when the data channel is protected (`PROT P`), else `null`. */
  tls: ClientTlsOptions | null;
  /** Longest wait to connect or to be connected to, in milliseconds. */
  connectionTimeout: number;
  /** Cancels the attempt. */
  signal?: AbortSignal;
}

/** An open data connection and the server's first reply to the transfer command. */
export interface OpenedDataConnection {
  /** The data socket (TLS when protected). */
  conn: Connection;
  /** The reply to the transfer command: `1xx`, or `2xx` when the server finished at once. */
  reply: FtpReply;
}

/**
 * Open a data connection and send `command` (RETR, STOR, LIST, ...) over it.
 * @throws {StatusCodeError} when the server refuses the command.
 * @throws {TlsSessionReuseError} when the server requires TLS session resumption that did not happen.
 */
export function openDataConnection(
  settings: DataConnectionSettings,
  command: string,
): Promise<OpenedDataConnection> {
  return settings.passive ? openPassive(settings, command) : openActive(settings, command);
}

async function openPassive(
  s: DataConnectionSettings,
  command: string,
): Promise<OpenedDataConnection> {
  const address = await enterPassiveMode(s);
  const controlPeer = s.control.connection.remoteAddress.hostname;
  // Bounce protection: by default the data connection goes to the host the
  // control connection talks to, whatever address PASV announced.
  const hostname = s.trustPassiveHost && address.host ? address.host : controlPeer;
  // The command goes out while the connection is being made: one round trip
  // less per transfer (RFC 959 leaves the order to the client).
  const connecting = s.adapter.connect({
    hostname,
    port: address.port,
    signal: s.signal,
    timeoutMs: s.connectionTimeout,
  });
  connecting.catch(() => {});
  return await startTransfer(s, command, null, connecting);
}

async function enterPassiveMode(s: DataConnectionSettings): Promise<PassiveAddress> {
  let lastError: unknown;
  for (const name of [...s.passiveCommands]) {
    const isIPv6 = s.control.connection.remoteAddress.family === "IPv6";
    if (name === "pasv" && isIPv6) continue;
    try {
      const reply = await s.control.command(name.toUpperCase(), ["2xx"], [], {
        signal: s.signal,
      });
      return name === "epsv" ? parseEpsvReply(replyText(reply)) : parsePasvReply(replyText(reply));
    } catch (err) {
      if (!(err instanceof StatusCodeError) || !err.receivedCodes[0]?.startsWith("5")) throw err;
      // Not supported: drop it for the rest of the session.
      s.passiveCommands.splice(s.passiveCommands.indexOf(name), 1);
      lastError = err;
    }
  }
  throw lastError ?? new StatusCodeError(["227", "229"], "none", ["no passive command left"]);
}

async function openActive(
  s: DataConnectionSettings,
  command: string,
): Promise<OpenedDataConnection> {
  const local = s.control.connection.localAddress;
  const listener = await listenInRange(s.adapter, local.hostname, s.activePortRange);
  try {
    const port = listener.address.port;
    if (local.family === "IPv6") {
      await s.control.command(`EPRT ${formatEprtArgument(local.hostname, port)}`, ["2xx"], [], {
        signal: s.signal,
      });
    } else {
      await s.control.command(`PORT ${formatPortArgument(local.hostname, port)}`, ["2xx"], [], {
        signal: s.signal,
      });
    }
    const accepted = listener.accept();
    accepted.catch(() => {});
    const rawPromise = waitFor(
      accepted,
      { signal: s.signal, timeoutMs: s.connectionTimeout },
      "waiting for the server's data connection",
    );
    return await startTransfer(s, command, null, rawPromise);
  } finally {
    listener.close();
  }
}

async function listenInRange(
  adapter: SocketAdapter,
  hostname: string,
  range: readonly [number, number] | undefined,
): Promise<Listener> {
  if (!range) return await adapter.listen({ hostname, port: 0 });
  const [min, max] = range;
  const count = max - min + 1;
  const first = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = min + ((first + i) % count);
    try {
      return await adapter.listen({ hostname, port });
    } catch (err) {
      if (!(err instanceof SocketError) || err.code !== "EADDRINUSE") throw err;
    }
  }
  throw new NoAvailablePortError(`No free local data port in ${min}-${max}`);
}

/**
 * Send the transfer command, then finish the data connection (accept it in
 * active mode, start TLS on it) while waiting for the preliminary reply.
 * Servers disagree on the order: ftp-srv completes the data TLS handshake
 * before its `150`, vsftpd and pyftpdlib only after they have read the
 * command (pyftpdlib resets a data connection whose ClientHello comes first).
 */
async function startTransfer(
  s: DataConnectionSettings,
  command: string,
  knownRaw: Connection | null,
  rawPromise: Promise<Connection>,
): Promise<OpenedDataConnection> {
  let raw: Connection | null = knownRaw;
  const sent = s.control.send(command, { signal: s.signal });
  const ready = (async () => {
    await sent;
    raw = await rawPromise;
    if (!s.tls) return raw;
    return await raw.startTlsClient({ ...s.tls, session: s.control.connection.tlsSession() });
  })();
  ready.catch(() => {});
  let awaitingReply = false;
  try {
    await sent;
    const replying = s.control.command(null, ["1xx", "2xx"], [], { signal: s.signal });
    awaitingReply = true;
    replying.then(() => awaitingReply = false, () => awaitingReply = false);
    // A data connection that fails first would leave us waiting for a reply
    // the server may send only after its own timeout.
    const failedFirst = rawPromise.then(() => replying);
    const reply = await Promise.race([replying, failedFirst]);
    const conn = await waitFor(
      ready,
      { signal: s.signal, timeoutMs: s.connectionTimeout },
      s.tls ? "TLS handshake on the data connection" : "opening the data connection",
    );
    return { conn, reply };
  } catch (err) {
    // The server still owes the command's reply: its state is unknown.
    if (awaitingReply) s.control.fail(err);
    closeQuietly(raw as Connection | null);
    rawPromise.then(closeQuietly, () => {});
    ready.then(closeQuietly, () => {});
    throw s.tls ? await explainTlsFailure(s, err) : err;
  }
}

/**
 * Close a data connection that is no longer wanted. Closing one whose TLS
 * handshake is under way can throw (Deno 2.9: `BadResource`); the command's
 * own failure is what the caller reports.
 */
function closeQuietly(conn: Connection | null): void {
  try {
    conn?.close();
  } catch {
    // Already gone.
  }
}

/**
 * A failed data handshake is often explained by the server's next reply
 * (vsftpd: `522 ... session reuse required`); read it briefly when the
 * control connection still works.
 */
async function explainTlsFailure(s: DataConnectionSettings, err: unknown): Promise<unknown> {
  if (err instanceof StatusCodeError) return asTlsReuseError(s, err);
  if (s.control.failure !== null) return err;
  try {
    const reply = await waitFor(
      s.control.readReply(),
      { timeoutMs: Math.min(s.control.socketTimeout || 2000, 2000) },
      "reply after a failed data handshake",
    );
    if (reply.code.isCompletion) return err;
    return asTlsReuseError(
      s,
      new StatusCodeError(["2xx"], reply.code.value, reply.lines, { cause: err }),
    );
  } catch {
    return err;
  }
}

/** A refusal that names TLS session resumption becomes a {@linkcode TlsSessionReuseError}. */
export function asTlsReuseError(s: DataConnectionSettings, err: unknown): unknown {
  if (!(err instanceof StatusCodeError) || err instanceof TlsSessionReuseError) return err;
  const text = err.info.join(" ").toLowerCase();
  const code = err.receivedCodes[0] ?? "";
  if (code === "522" || /session.*(reuse|resum)|(reuse|resum).*session/.test(text)) {
    return new TlsSessionReuseError(s.adapter.name, err.info, { cause: err });
  }
  return err;
}

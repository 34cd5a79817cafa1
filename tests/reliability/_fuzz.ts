/**
 * Control-channel fuzzing: generated command lines (random bytes, invalid
 * UTF-8, control characters and CRLF injections in arguments, every command
 * with missing, extra and oversized arguments, 1 MiB lines, commands before
 * login, FTPS commands in the wrong order) sent from several raw connections
 * to one in-process server, while a canary session checks that other
 * clients are still served. Shared by `fuzz_test.ts` (10,000 lines) and
 * `scripts/reliability.ts --full` (100,000 lines).
 *
 * @module
 */

import * as net from "node:net";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { defaultCommands } from "../../server/commands/mod.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { FtpError } from "../../streams/errors.ts";
import { SERVER_TLS } from "../_helpers.ts";
import {
  ConnectionGoneError,
  MalformedReplyError,
  type RawReply,
  RawSession,
  ReplyTimeoutError,
} from "./_raw_session.ts";
import { Rng } from "./_rng.ts";
import { RssSampler } from "./_resources.ts";

/** Options of {@linkcode runControlFuzz}. */
export interface FuzzOptions {
  /** Command lines to send in total. */
  lines: number;
  /** Parallel fuzzing connections (default 8). */
  connections?: number;
  /** Seed of the generator (default 7): the same seed sends the same lines. */
  seed?: number;
  /** Longest wait for the answer to one line, ms (default 10000). */
  replyTimeoutMs?: number;
}

/** What a fuzz run saw. */
export interface FuzzReport {
  /** Lines sent. */
  lines: number;
  /** Lines by generator category. */
  byCategory: Record<string, number>;
  /** Replies received (a line may get several, or none when the server closes). */
  replies: number;
  /** Replies by code class (`"2xx"`, …). */
  byClass: Record<string, number>;
  /** Connections the server closed (QUIT, 421, too-long lines, failed logins, TLS garbage). */
  closedByServer: number;
  /** Lines that got no answer in time on a connection that stayed open. */
  hangs: number;
  /** Reply lines that broke the grammar or carried control characters. */
  malformed: number;
  /** Examples of the failures above. */
  failureSamples: string[];
  /** Canary round trips (a separate logged-in client) and how many failed. */
  canaryChecks: number;
  /** Failed canary round trips. */
  canaryFailures: number;
  /** Errors the server reported that are not ftpkit errors (bugs: TypeError, RangeError, …). */
  unexpectedServerErrors: number;
  /** Unhandled promise rejections during the run. */
  unhandledRejections: number;
  /** Whether `/outside.txt`, beside the user's root, still holds its original bytes. */
  sentinelIntact: boolean;
  /** Whether a fresh client could log in after the run. */
  servesAfterwards: boolean;
  /** Control connections still open after every fuzzer left. */
  connectionsLeft: number;
  /** RSS in MiB at the start, at the peak and at the end (this process: server and fuzzers). */
  rssMiB: { start: number; peak: number; end: number };
  /** Wall time in seconds. */
  seconds: number;
}

const COMMANDS = Object.keys(defaultCommands());
const PATH_COMMANDS = [
  "CWD",
  "LIST",
  "MLSD",
  "MLST",
  "NLST",
  "RETR",
  "STOR",
  "APPE",
  "DELE",
  "MKD",
  "RMD",
  "RNFR",
  "RNTO",
  "SIZE",
  "MDTM",
  "HASH",
  "STOU",
  "STAT",
];
const PATHS = [
  "ok.txt",
  "dir",
  "dir/inner.txt",
  "..",
  "../..",
  "../outside.txt",
  "/../outside.txt",
  "....//....//outside.txt",
  "dir/../../outside.txt",
  "%2e%2e/outside.txt",
  "..\\outside.txt",
  "\\..\\..\\outside.txt",
  "~",
  "~root",
  "*",
  "-la",
  "-R /",
  "/",
  "//",
  ".",
  "./././",
  "．．/outside.txt",
  "dir/",
  "new.txt",
  "new dir",
  "ünïcødé.txt",
  '"quoted".txt',
];
const INVALID_UTF8 = [
  [0xc3, 0x28],
  [0xa0, 0xa1],
  [0xe2, 0x28, 0xa1],
  [0xf0, 0x28, 0x8c, 0xbc],
  [0xed, 0xa0, 0x80],
  [0xff],
  [0xfe, 0xfe, 0xff, 0xff],
  [0xc0, 0xaf],
  [0xc0, 0xae, 0xc0, 0xae, 0x2f],
];
const CONTROL_INSERTS = ["\0", "\r", "\r\r", "\x1b[2J", "\x7f", "\t", "\x08", "\0\r\n"];
const TLS_LINES = [
  "PBSZ 0",
  "PROT P",
  "PROT C",
  "PROT S",
  "PROT E",
  "PROT",
  "PROT PP",
  "PBSZ",
  "PBSZ -1",
  "PBSZ 99999999999999999999",
  "AUTH",
  "AUTH SSL",
  "AUTH TLS-P",
  "AUTH KERBEROS",
  "AUTH GSSAPI",
  "CCC",
  "ADAT AAAA",
  "MIC xx",
  "CONF xx",
  "ENC xx",
];
const STATE_LINES = [
  "PASV",
  "EPSV",
  "EPSV 1",
  "EPSV 2",
  "EPSV ALL",
  "EPSV 3",
  "PORT 1,2,3,4,5,6",
  "PORT 127,0,0,1,0,21",
  "PORT 256,0,0,1,4,0",
  "PORT 127,0,0,1,999,1",
  "PORT -1,0,0,1,4,0",
  "PORT 127,0,0,1",
  "EPRT |1|10.0.0.1|2000|",
  "EPRT |2|::1|21|",
  "EPRT |3|x|1|",
  "EPRT ||||",
  "EPRT |1|127.0.0.1|99999|",
  "REST 0",
  "REST 100",
  "REST -5",
  "REST 99999999999999999999999",
  "REST abc",
  "TYPE I",
  "TYPE A",
  "TYPE L 8",
  "TYPE X",
  "MODE S",
  "MODE Z",
  "STRU F",
  "STRU R",
  "OPTS UTF8 ON",
  "OPTS MLST type;size;",
  "OPTS MLST nonsense;;;",
  "OPTS HASH MD5",
  "OPTS HASH NOPE",
  "OPTS",
  "RANG 1 0",
  "RANG 0 18446744073709551616",
  "RANG a b",
  "FEAT",
  "SYST",
  "HELP",
  "NOOP",
  "STAT",
  "ABOR",
  "ALLO 99999999999999",
  "SITE CHMOD 777 /",
  "SITE EXEC /bin/sh",
  "REIN",
  "USER u",
  "PASS p",
  "USER anonymous",
  "PASS",
  "ACCT x",
  "CDUP",
  "PWD",
  "QUIT",
];

/** Pick a random command line of one category; returns its bytes and category. */
export function generateLine(
  rng: Rng,
  sinkPort: number,
): { bytes: Uint8Array; category: string } {
  const enc = (s: string) => new TextEncoder().encode(s);
  const cmd = () => rng.pick(COMMANDS);
  const pathCmd = () => rng.pick(PATH_COMMANDS);
  const roll = rng.int(1000);
  if (roll < 120) {
    // Random bytes; every tenth may carry a bare LF, which splits it into two lines.
    const len = rng.int(300);
    const bytes = rng.bytes(len);
    if (rng.int(10) > 0) { for (let i = 0; i < len; i++) if (bytes[i] === 0x0a) bytes[i] = 0x20; }
    return { bytes, category: "random bytes" };
  }
  if (roll < 220) {
    const bad = rng.pick(INVALID_UTF8);
    const name = rng.int(3) === 0 ? "" : `${rng.pick([pathCmd(), cmd()])} `;
    return {
      bytes: concat(enc(name + rng.pick(["", "dir/", "x"])), new Uint8Array(bad), enc(".txt")),
      category: "invalid UTF-8",
    };
  }
  if (roll < 340) {
    const path = rng.pick(PATHS);
    const at = rng.int(path.length + 1);
    const insert = rng.pick(CONTROL_INSERTS);
    return {
      bytes: enc(`${pathCmd()} ${path.slice(0, at)}${insert}${path.slice(at)}`),
      category: "NUL/CR/LF in arguments",
    };
  }
  if (roll < 420) {
    const injected = rng.pick(["DELE /ok.txt", "RMD /dir", "RNFR ok.txt", "PORT 10,0,0,1,0,22"]);
    const form = rng.pick(["\r\n", "\n", "\r", "%0d%0a", "\\r\\n", "\u2028", "\u0085"]);
    return {
      bytes: enc(`${pathCmd()} ${rng.pick(PATHS)}${form}${injected}`),
      category: "CRLF injection",
    };
  }
  if (roll < 640) {
    const name = cmd();
    const shape = rng.int(4);
    if (shape === 0) return { bytes: enc(name), category: "missing argument" };
    if (shape === 1) {
      return {
        bytes: enc(`${name} ${rng.pick(PATHS)} ${rng.pick(PATHS)} extra 1 2 3`),
        category: "extra arguments",
      };
    }
    const size = rng.pick([256, 1024, 4000, 4094, 4095, 4096, 5000, 70_000]);
    const fill = rng.int(2) === 0 ? "a".repeat(size) : "../".repeat(Math.ceil(size / 3));
    return { bytes: enc(`${name} ${fill}`), category: "oversized argument" };
  }
  if (roll < 642) {
    const bytes = new Uint8Array(1024 * 1024).fill(0x41);
    bytes.set(enc("STOR "), 0);
    return { bytes, category: "1 MiB line" };
  }
  if (roll < 760) {
    return { bytes: enc(rng.pick(TLS_LINES)), category: "FTPS out of order" };
  }
  if (roll < 960) {
    const line = rng.int(8) === 0
      ? rng.pick([
        `PORT 127,0,0,1,${sinkPort >> 8},${sinkPort & 0xff}`,
        `EPRT |1|127.0.0.1|${sinkPort}|`,
      ])
      : rng.pick(STATE_LINES);
    return { bytes: enc(line), category: "state commands" };
  }
  // Case games and odd spacing with valid commands.
  const name = cmd();
  const mixed = [...name].map((c) => rng.int(2) ? c.toLowerCase() : c).join("");
  return {
    bytes: enc(
      rng.pick([
        `${mixed} ${rng.pick(PATHS)}`,
        ` ${name}`,
        `${name}  ${rng.pick(PATHS)}`,
        `${name}\t/`,
      ]),
    ),
    category: "case and spacing",
  };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The files every fuzz server starts with: `/home` is the user's root, `/outside.txt` a sentinel. */
export async function fuzzTree(): Promise<MemoryPathIO> {
  const io = new MemoryPathIO();
  await io.mkdir("/home/dir", { parents: true });
  for (
    const [path, text] of [["/home/ok.txt", "ok"], ["/home/dir/inner.txt", "inner"], [
      "/outside.txt",
      "sentinel",
    ]]
  ) {
    const h = await io.open(path, "write");
    await h.write(new TextEncoder().encode(text));
    await h.close();
  }
  return io;
}

/** Listens on loopback and drops every connection: the only PORT target the fuzzer names. */
async function startSink(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
    s.resume();
    setTimeout(() => s.destroy(), 50);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * Fuzz a fresh in-process server and report what happened. Never throws for
 * what the server does: the caller asserts on the report.
 */
export async function runControlFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const rng = new Rng(options.seed ?? 7);
  const replyTimeoutMs = options.replyTimeoutMs ?? 10_000;
  const io = await fuzzTree();
  let unexpectedServerErrors = 0;
  const failureSamples: string[] = [];
  const note = (text: string) => {
    if (failureSamples.length < 20) failureSamples.push(text);
  };
  const server = new Server({
    pathIO: io,
    users: [new User({ login: "u", password: "p", basePath: "/home" })],
    tls: SERVER_TLS,
    failedLoginDelay: 2,
    waitFutureTimeout: 300,
    socketTimeout: 3000,
    idleTimeout: 15_000,
  });
  server.on("error", ({ error }) => {
    if (!(error instanceof FtpError)) {
      unexpectedServerErrors++;
      note(`server error: ${error instanceof Error ? error.stack : String(error)}`);
    }
  });
  let unhandledRejections = 0;
  const onUnhandled = (reason: unknown) => {
    unhandledRejections++;
    note(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  };
  process.on("unhandledRejection", onUnhandled);
  const sink = await startSink();
  const rss = new RssSampler();
  const report: FuzzReport = {
    lines: 0,
    byCategory: {},
    replies: 0,
    byClass: {},
    closedByServer: 0,
    hangs: 0,
    malformed: 0,
    failureSamples,
    canaryChecks: 0,
    canaryFailures: 0,
    unexpectedServerErrors: 0,
    unhandledRejections: 0,
    sentinelIntact: false,
    servesAfterwards: false,
    connectionsLeft: -1,
    rssMiB: { start: 0, peak: 0, end: 0 },
    seconds: 0,
  };
  const { port } = await server.start("127.0.0.1", 0);
  const count = (replies: RawReply[]) => {
    for (const r of replies) {
      report.replies++;
      const cls = `${String(r.code)[0]}xx`;
      report.byClass[cls] = (report.byClass[cls] ?? 0) + 1;
    }
  };
  let sent = 0;
  let canaryRunning = true;

  const fuzzer = async (id: number) => {
    let session: RawSession | null = null;
    let serial = 0;
    while (sent < options.lines) {
      if (!session || session.closed) {
        session?.close();
        session = await RawSession.open(port).catch(() => null);
        if (!session) continue;
        // Most connections log in; the rest fuzz the commands allowed before login.
        if (rng.int(10) < 7) {
          const ok = await session.login("u", "p").then(() => true, () => false);
          if (!ok) {
            note(`fuzzer ${id}: login failed`);
            session.close();
            session = null;
            continue;
          }
        }
      }
      if (sent >= options.lines) break;
      const { bytes, category } = generateLine(rng, sink.port);
      sent++;
      report.lines++;
      report.byCategory[category] = (report.byCategory[category] ?? 0) + 1;
      const marker = `ZSYNC${id}N${serial++}`;
      session.write(concat(bytes, new TextEncoder().encode(`\r\n${marker}\r\n`)));
      try {
        const replies: RawReply[] = [];
        const deadline = Date.now() + replyTimeoutMs;
        while (true) {
          const reply = await session.read(Math.max(1, deadline - Date.now()));
          if (reply.lines[0].includes(marker)) break;
          replies.push(reply);
        }
        count(replies);
        report.replies++; // the marker's own reply
        report.byClass["5xx"] = (report.byClass["5xx"] ?? 0) + 1;
      } catch (err) {
        if (err instanceof ConnectionGoneError) {
          report.closedByServer++;
        } else if (err instanceof ReplyTimeoutError) {
          report.hangs++;
          note(`hang after ${category}: ${JSON.stringify(preview(bytes))}`);
        } else if (err instanceof MalformedReplyError) {
          report.malformed++;
          note(`malformed after ${category} ${JSON.stringify(preview(bytes))}: ${err.message}`);
        } else {
          note(`fuzzer ${id}: ${String(err)}`);
        }
        session.close();
        session = null;
      }
    }
    session?.close();
  };

  const canary = async () => {
    let session: RawSession | null = null;
    while (canaryRunning) {
      report.canaryChecks++;
      try {
        if (!session) {
          session = await RawSession.open(port);
          await session.login("u", "p");
        }
        const r = await session.command("PWD", 5000);
        if (r.code !== 257) throw new Error(`PWD answered ${r.code}`);
      } catch (err) {
        report.canaryFailures++;
        note(`canary: ${String(err)}`);
        session?.close();
        session = null;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    session?.close();
  };

  try {
    const canaryDone = canary();
    const workers = Array.from({ length: options.connections ?? 8 }, (_, i) => fuzzer(i));
    await Promise.all(workers);
    canaryRunning = false;
    await canaryDone;
    // Every fuzzer closed its socket: the server must drop to zero sessions.
    const deadline = Date.now() + 10_000;
    while (server.connectionCount > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    report.connectionsLeft = server.connectionCount;
    const fresh = await RawSession.open(port).catch(() => null);
    if (fresh) {
      report.servesAfterwards = await fresh.login("u", "p").then(() => true, () => false);
      fresh.close();
    }
  } finally {
    await server.close();
    sink.close();
    process.off("unhandledRejection", onUnhandled);
    rss.stop();
  }
  report.sentinelIntact = await readText(io, "/outside.txt") === "sentinel";
  report.unexpectedServerErrors = unexpectedServerErrors;
  report.unhandledRejections = unhandledRejections;
  report.rssMiB = rss.summary();
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

async function readText(io: MemoryPathIO, path: string): Promise<string | null> {
  try {
    const handle = await io.open(path, "read");
    const buffer = new Uint8Array(1024);
    const n = await handle.read(buffer);
    await handle.close();
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } catch {
    return null;
  }
}

function preview(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, 100));
}

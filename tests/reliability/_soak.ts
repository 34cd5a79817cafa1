/**
 * The soak: many concurrent clients doing mixed operations (downloads of a
 * shared file, uploads verified by SIZE and download, listings, directory
 * changes, reconnects) against a server in a child process of the same
 * runtime, counting protocol errors, verified bytes, file descriptors and
 * memory of the server process. Shared by `soak_test.ts` (100 clients ×
 * 10 s) and `scripts/reliability.ts --full` (500 clients × 60 s).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { pseudoRandomBytes, RUNTIME } from "../_helpers.ts";
import {
  type DataCommandResult,
  otherConnectsTo,
  type RawReply,
  RawSession,
  runDataCommand,
} from "./_raw_session.ts";
import {
  isTcpSocket,
  openFdCount,
  openFdTargets,
  processRssMiB,
  tcpSocketInodes,
} from "./_resources.ts";
import { Rng } from "./_rng.ts";
import { SHARED_FILE } from "./_soak_server.ts";

/** Options of {@linkcode runSoak}. */
export interface SoakOptions {
  /** Concurrent clients. */
  clients: number;
  /** How long they keep working, seconds. */
  seconds: number;
  /** Seed (default 5). */
  seed?: number;
}

/** What a soak saw. */
export interface SoakReport {
  /** Clients that ran. */
  clients: number;
  /** How long they were to run, seconds. */
  plannedSeconds: number;
  /** Operations completed. */
  operations: number;
  /** Replies that were not the expected ones, connections lost, time-outs. */
  protocolErrors: number;
  /** Examples of those errors. */
  errorSamples: string[];
  /** Bytes uploaded and downloaded, every one compared with what was expected. */
  bytesVerified: number;
  /** Bytes that differed or went missing. */
  bytesLost: number;
  /** Control connections opened (clients reconnect now and then). */
  connections: number;
  /** Open file descriptors of the server process before the clients and after they left. */
  fds: { before: number | null; after: number | null };
  /** The server's TCP sockets (connections and listeners) before the clients and after they left. */
  tcpSockets: { before: number | null; after: number | null };
  /** Kinds of descriptors the server process gained (`socket`, `anon_inode:[eventfd]`, …), for diagnosis. */
  fdsGained: string[];
  /** RSS of the server process in MiB: before, peak, after. */
  rssMiB: { before: number | null; peak: number | null; after: number | null };
  /** JavaScript heap in use by the server in MiB, before the clients and after they left (after a full GC). */
  heapMiB: { before: number; after: number };
  /** Sessions the server still had after every client left. */
  connectionsLeft: number;
  /** Errors the server reported that are not ftpkit errors. */
  serverErrors: number;
  /** Wall time, seconds. */
  seconds: number;
}

/** The server child: its pid, port, and a way to ask it for counters. */
interface SoakServer {
  pid: number;
  port: number;
  stats(): Promise<{ connections: number; errors: number; heapMiB: number }>;
  collectGarbage(): Promise<void>;
  close(): Promise<void>;
}

async function startSoakServer(): Promise<SoakServer> {
  const compiled = import.meta.url.endsWith(".js");
  const file = fileURLToPath(new URL(`./_soak_server.${compiled ? "js" : "ts"}`, import.meta.url));
  // A full collection before the last memory sample needs the runtime's gc hook.
  // FTPKIT_SOAK_SERVER=bun|deno (same machine) runs the server on another runtime, to tell
  // server from client effects apart; by default the runtime under test runs both.
  const runtime = process.env.FTPKIT_SOAK_SERVER ?? RUNTIME;
  const exec = runtime === RUNTIME ? process.execPath : runtime;
  const args = runtime === "deno"
    ? ["run", "-A", "--v8-flags=--expose-gc", file, "--serve"]
    : runtime === "node"
    ? ["--expose-gc", file, "--serve"]
    : [file, "--serve"];
  const child: ChildProcess = spawn(exec, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines: Interface = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  lines.on("line", (line) => {
    queue.push(line);
    wake?.();
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const next = async (timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (queue.length === 0) {
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error("soak server is silent");
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
    return queue.shift()!;
  };
  const { port } = JSON.parse(await next(30_000));
  return {
    pid: child.pid!,
    port,
    async stats() {
      child.stdin!.write("stats\n");
      return JSON.parse(await next(10_000));
    },
    async collectGarbage() {
      child.stdin!.write("gc\n");
      await next(30_000);
    },
    async close() {
      child.stdin!.end("close\n");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Run a soak; see the module doc. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const server = await startSoakServer();
  const shared = pseudoRandomBytes(SHARED_FILE.size, SHARED_FILE.seed);
  const report: SoakReport = {
    clients: options.clients,
    plannedSeconds: options.seconds,
    operations: 0,
    protocolErrors: 0,
    errorSamples: [],
    bytesVerified: 0,
    bytesLost: 0,
    connections: 0,
    fds: { before: null, after: null },
    fdsGained: [],
    tcpSockets: { before: null, after: null },
    heapMiB: { before: 0, after: 0 },
    rssMiB: { before: null, peak: null, after: null },
    connectionsLeft: -1,
    serverErrors: 0,
    seconds: 0,
  };
  const fail = (what: string) => {
    report.protocolErrors++;
    if (report.errorSamples.length < 20) report.errorSamples.push(what);
  };
  try {
    // Warm the server up once so lazily opened descriptors count as "before".
    // The soak's clients have a loopback address of their own (127.0.0.4): on a
    // shared machine another process's late connect to a just-reused port comes
    // from another address and is refused as foreign instead of failing a transfer.
    const warm = await RawSession.open(server.port, { localAddress: SOAK_CLIENT_ADDRESS });
    await warm.login("u", "p");
    await runDataCommand(warm, "RETR /shared.bin");
    warm.close();
    await waitForSessions(server, 0);
    await server.collectGarbage();
    report.heapMiB.before = (await server.stats()).heapMiB;
    report.fds.before = openFdCount(server.pid);
    const targetsBefore = openFdTargets(server.pid).map(fdKind);
    report.tcpSockets.before = countTcpSockets(server.pid);
    report.rssMiB.before = processRssMiB(server.pid);
    let peak = report.rssMiB.before ?? 0;
    const sampler = setInterval(() => peak = Math.max(peak, processRssMiB(server.pid) ?? 0), 250);
    const deadline = Date.now() + options.seconds * 1000;
    const seed = options.seed ?? 5;

    const client = async (id: number) => {
      const rng = new Rng(seed * 100_003 + id);
      // Spread the connects over the first second: a real crowd does not arrive in one tick.
      await new Promise((r) => setTimeout(r, rng.int(1000)));
      let session: RawSession | null = null;
      let serial = 0;
      let doing = "connect";
      const dir = `/c${id}`;
      const expect = (reply: RawReply, code: number, what: string) => {
        if (reply.code !== code) {
          throw new Error(`${what}: expected ${code}, got ${reply.lines[0]}`);
        }
      };
      // A failed transfer names its data connection and any other connect this
      // process made to the same port shortly before (a stray of our own).
      const expectData = (result: DataCommandResult, what: string) => {
        const reply = result.replies.at(-1)!;
        if (reply.code === 226) return;
        const { connect } = result;
        const others = otherConnectsTo(connect.target, connect.startedAt, connect).map((c) =>
          `${c.command} from ${c.localPort ?? c.error} at -${connect.startedAt - c.startedAt} ms`
        );
        throw new Error(
          `${what}: expected 226, got ${reply.lines[0]}; data port ${connect.target} from ${
            connect.localPort ?? connect.error
          }; this process's other connects to it in the 10 s before: [${others.join(", ")}]`,
        );
      };
      while (Date.now() < deadline) {
        try {
          if (!session) {
            doing = "connect";
            session = await RawSession.open(server.port, {
              timeoutMs: 30_000,
              localAddress: SOAK_CLIENT_ADDRESS,
            });
            report.connections++;
            await session.login("u", "p", 30_000);
            expect(await session.command("TYPE I", 30_000), 200, "TYPE");
            const mkd = await session.command(`MKD ${dir}`, 30_000);
            if (mkd.code !== 257 && mkd.code !== 550) expect(mkd, 257, "MKD");
          }
          const op = rng.int(10);
          doing = [
            "RETR shared",
            "RETR shared",
            "RETR shared",
            "STOR",
            "STOR",
            "STOR",
            "listing",
            "listing",
            "CWD",
            "QUIT",
          ][op];
          if (op < 3) {
            const result = await runDataCommand(session, "RETR /shared.bin", undefined, 30_000);
            expectData(result, "RETR shared");
            const { received } = result;
            if (equalBytes(received, shared)) report.bytesVerified += received.byteLength;
            else {
              report.bytesLost += Math.abs(shared.byteLength - received.byteLength) || 1;
              fail(`RETR shared: ${received.byteLength} bytes, content differs`);
            }
          } else if (op < 6) {
            const size = 1 + rng.int(32 * 1024);
            const body = pseudoRandomBytes(size, id * 1000 + serial);
            const path = `${dir}/f${serial++}.bin`;
            expectData(await runDataCommand(session, `STOR ${path}`, body, 30_000), "STOR");
            const sizeReply = await session.command(`SIZE ${path}`, 30_000);
            expect(sizeReply, 213, "SIZE");
            if (Number(sizeReply.lines[0].slice(4)) !== size) {
              report.bytesLost += size;
              fail(`SIZE ${path}: ${sizeReply.lines[0]} != ${size}`);
            }
            const back = await runDataCommand(session, `RETR ${path}`, undefined, 30_000);
            expectData(back, "RETR back");
            if (equalBytes(back.received, body)) report.bytesVerified += 2 * size;
            else {
              report.bytesLost += size;
              fail(`RETR ${path}: content differs`);
            }
            expect(await session.command(`DELE ${path}`, 30_000), 250, "DELE");
          } else if (op < 8) {
            const listing = rng.pick([`LIST ${dir}`, `NLST /`, `MLSD ${dir}`]);
            expectData(await runDataCommand(session, listing, undefined, 30_000), "listing");
          } else if (op < 9) {
            expect(await session.command(`CWD ${dir}`, 30_000), 250, "CWD");
            expect(await session.command("PWD", 30_000), 257, "PWD");
            expect(await session.command("CDUP", 30_000), 250, "CDUP");
            expect(await session.command("NOOP", 30_000), 200, "NOOP");
          } else {
            expect(await session.command("QUIT", 30_000), 221, "QUIT");
            session.close();
            session = null;
          }
          report.operations++;
        } catch (err) {
          fail(`client ${id} (${doing}): ${err instanceof Error ? err.message : String(err)}`);
          session?.close();
          session = null;
        }
      }
      if (session) {
        await session.command(`RMD ${dir}`, 30_000).catch(() => {});
        session.close();
      }
    };

    await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
    clearInterval(sampler);
    report.connectionsLeft = await waitForSessions(server, 0);
    // Let closed sockets and finished timers go before counting.
    await new Promise((r) => setTimeout(r, 500));
    await server.collectGarbage();
    report.fds.after = openFdCount(server.pid);
    const targetsAfter = openFdTargets(server.pid).map(fdKind);
    for (const t of targetsBefore) {
      const at = targetsAfter.indexOf(t);
      if (at >= 0) targetsAfter.splice(at, 1);
    }
    report.fdsGained = targetsAfter;
    report.tcpSockets.after = countTcpSockets(server.pid);
    report.rssMiB.after = processRssMiB(server.pid);
    report.rssMiB.peak = Math.max(peak, report.rssMiB.after ?? 0);
    const last = await server.stats();
    report.serverErrors = last.errors;
    report.heapMiB.after = last.heapMiB;
  } finally {
    await server.close();
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

async function waitForSessions(server: SoakServer, want: number): Promise<number> {
  const deadline = Date.now() + 15_000;
  let n = (await server.stats()).connections;
  while (n !== want && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = (await server.stats()).connections;
  }
  return n;
}

/** `socket:[123]` -> `socket`: descriptors compared by kind, not identity. */
function fdKind(target: string): string {
  return target.replace(/:\[\d+\]$/, "");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The report as rows for {@linkcode printRows}-style tables. */
export function soakRows(report: SoakReport): [string, string | number][] {
  return [
    ["clients x seconds", `${report.clients} x ${report.plannedSeconds}`],
    ["operations", report.operations],
    ["control connections", report.connections],
    ["protocol errors", report.protocolErrors],
    ["bytes verified (lost)", `${report.bytesVerified} (${report.bytesLost})`],
    [
      "server fds before/after",
      `${report.fds.before}/${report.fds.after}` +
      (report.fdsGained.length ? ` (+${report.fdsGained.join(", ")})` : ""),
    ],
    ["server TCP sockets before/after", `${report.tcpSockets.before}/${report.tcpSockets.after}`],
    ["server heap MiB before/after GC", `${report.heapMiB.before}/${report.heapMiB.after}`],
    [
      "server RSS MiB before/peak/after",
      `${report.rssMiB.before}/${report.rssMiB.peak}/${report.rssMiB.after}`,
    ],
    ["seconds", report.seconds.toFixed(1)],
  ];
}

/**
 * The source address of the soak's clients (see `runSoak`); no other test uses it
 * (the data connection stress test has 127.0.0.3), so they cannot stray into each
 * other's data ports when a runner runs test files side by side.
 */
const SOAK_CLIENT_ADDRESS = "127.0.0.4";

/** How many of `pid`'s descriptors are TCP sockets, or `null` where /proc cannot tell. */
function countTcpSockets(pid: number): number | null {
  const targets = openFdTargets(pid);
  if (!targets.length) return null;
  const inodes = tcpSocketInodes(pid);
  return targets.filter((t) => isTcpSocket(t, inodes)).length;
}

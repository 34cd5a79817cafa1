/**
 * The server group: ftpbench's rows, driven by the neutral Python driver
 * (`bench/driver/ftp_load.py`) against each server in turn.
 *
 * Each measurement restarts the server (fresh state, fresh memory high-water
 * mark) and the targets take turns per repeat, so a burst of load from
 * elsewhere on the machine does not land on one target only.
 *
 * @module
 */

import { join } from "node:path";
import type { BenchOptions } from "./options.ts";
import type { BenchFixtures } from "./fixtures.ts";
import { countBenchUploads, resetBenchUploads } from "./fixtures.ts";
import type { BenchTools } from "./peers.ts";
import { type BenchProcess, runBenchCommand, startFtpServerOnFreePort } from "./process.ts";
import { RssSampler } from "./memory.ts";
import type { BenchCell, BenchGroupResult, BenchRowSpec } from "./results.ts";
import { SERVER_TARGETS, type ServerTarget } from "./servers.ts";

const MiB = 1024 * 1024;

/** One driver action and the rows its output fills. */
interface ServerMeasurement {
  /** Driver action. */
  action: string;
  /** Driver arguments besides the action and the port. */
  args(o: BenchOptions, f: BenchFixtures): string[];
  /** Rows filled from the driver's JSON output. */
  rows: { spec: BenchRowSpec; value(out: DriverOutput): number }[];
  /** Number of files the action leaves in `up/` (checked, then removed). */
  uploads(o: BenchOptions): number;
}

interface DriverOutput {
  seconds?: number;
  bytes?: number;
  login_seconds?: number;
  quit_seconds?: number;
  timed_cpu_seconds: number;
  timed_wall_seconds: number;
  error?: string;
}

const human = (bytes: number) =>
  bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0
    ? `${bytes / 1024 ** 3} GiB`
    : bytes >= MiB && bytes % MiB === 0
    ? `${bytes / MiB} MiB`
    : bytes % 1_000_000 === 0
    ? `${bytes / 1_000_000} MB`
    : `${bytes} B`;

const rate = (out: DriverOutput) => out.bytes! / MiB / out.seconds!;

function measurements(o: BenchOptions): ServerMeasurement[] {
  const n = o.clientCount;
  return [
    {
      action: "stor",
      args: (o, f) => ["--size", String(o.bigSize), "--remote", `${f.uploadDir}/stor.bin`],
      rows: [{
        spec: {
          id: "stor",
          title: `STOR (client -> server, ${human(o.bigSize)})`,
          unit: "MiB/s",
          better: "higher",
        },
        value: rate,
      }],
      uploads: () => 1,
    },
    {
      action: "retr",
      args: (o, f) => ["--size", String(o.bigSize), "--remote", f.bigFile],
      rows: [{
        spec: {
          id: "retr",
          title: `RETR (server -> client, ${human(o.bigSize)})`,
          unit: "MiB/s",
          better: "higher",
        },
        value: rate,
      }],
      uploads: () => 0,
    },
    {
      action: "logins",
      // A server that loses connections in a storm would hold the row for the full default limit.
      args: (o) => ["--clients", String(o.clientCount), "--timeout", "20"],
      rows: [
        {
          spec: {
            id: "logins",
            title: `${n} concurrent clients (connect, login)`,
            unit: "s",
            better: "lower",
          },
          value: (out) => out.login_seconds!,
        },
        {
          spec: { id: "quit", title: `${n} concurrent clients (QUIT)`, unit: "s", better: "lower" },
          value: (out) => out.quit_seconds!,
        },
      ],
      uploads: () => 0,
    },
    {
      action: "idle-stor",
      args: (o, f) => [
        "--clients",
        String(o.clientCount),
        "--size",
        String(o.bigSize),
        "--remote",
        `${f.uploadDir}/idle_stor.bin`,
      ],
      rows: [{
        spec: {
          id: "idle-stor",
          title: `STOR (1 file with ${n} idle clients, ${human(o.bigSize)})`,
          unit: "MiB/s",
          better: "higher",
        },
        value: rate,
      }],
      uploads: () => 1,
    },
    {
      action: "idle-retr",
      args: (o, f) => [
        "--clients",
        String(o.clientCount),
        "--size",
        String(o.bigSize),
        "--remote",
        f.bigFile,
      ],
      rows: [{
        spec: {
          id: "idle-retr",
          title: `RETR (1 file with ${n} idle clients, ${human(o.bigSize)})`,
          unit: "MiB/s",
          better: "higher",
        },
        value: rate,
      }],
      uploads: () => 0,
    },
    {
      action: "multi-retr",
      args: (o, f) => [
        "--clients",
        String(o.clientCount),
        "--size",
        String(o.multiSize),
        "--remote",
        f.multiFile,
      ],
      rows: [{
        spec: {
          id: "multi-retr",
          title: `${n} concurrent clients (RETR ${human(o.multiSize)} file)`,
          unit: "s",
          better: "lower",
        },
        value: (out) => out.seconds!,
      }],
      uploads: () => 0,
    },
    {
      action: "multi-stor",
      args: (o, f) => [
        "--clients",
        String(o.clientCount),
        "--size",
        String(o.multiSize),
        "--remote",
        `${f.uploadDir}/multi_`,
      ],
      rows: [{
        spec: {
          id: "multi-stor",
          title: `${n} concurrent clients (STOR ${human(o.multiSize)} file)`,
          unit: "s",
          better: "lower",
        },
        value: (out) => out.seconds!,
      }],
      uploads: (o) => o.clientCount,
    },
  ];
}

/** ftpbench's order (and aioftp's README's): QUIT comes last although one measurement gives it with the logins. */
function inTableOrder(rows: BenchRowSpec[]): BenchRowSpec[] {
  return [...rows.filter((r) => r.id !== "quit"), ...rows.filter((r) => r.id === "quit")];
}

/** Progress lines go here. */
export type BenchLog = (line: string) => void;

/**
 * Runs the server group.
 *
 * @param unavailable target id → reason to skip it
 */
export async function runServerGroup(
  o: BenchOptions,
  f: BenchFixtures,
  tools: BenchTools,
  unavailable: Map<string, string>,
  log: BenchLog,
): Promise<BenchGroupResult> {
  const wanted = SERVER_TARGETS.filter((t) =>
    t.kind === "calibration" ? o.calibrate : o.servers.length === 0 || o.servers.includes(t.id)
  );
  const group: BenchGroupResult = {
    group: "server",
    title: "Servers (ftpbench rows, neutral Python driver on loopback)",
    rows: [],
    targets: wanted.map((t) => ({
      id: t.id,
      label: t.label,
      kind: t.kind,
      skipped: unavailable.get(t.id),
    })),
    cells: [],
  };
  const active = wanted.filter((t) => !unavailable.has(t.id));
  const chosen = measurements(o).filter((m) =>
    o.rows.length === 0 || m.rows.some((r) => o.rows.includes(r.spec.id))
  );
  group.rows = inTableOrder(chosen.flatMap((m) => m.rows.map((r) => r.spec)));
  for (const m of chosen) {
    for (let repeat = 0; repeat < o.repeats; repeat++) {
      for (const target of active) {
        await measureOnce(m, target, repeat, o, f, tools, group, log);
      }
    }
  }
  return group;
}

async function measureOnce(
  m: ServerMeasurement,
  target: ServerTarget,
  repeat: number,
  o: BenchOptions,
  f: BenchFixtures,
  tools: BenchTools,
  group: BenchGroupResult,
  log: BenchLog,
): Promise<void> {
  const cells = m.rows.map((r) => {
    let cell = group.cells.find((c) => c.row === r.spec.id && c.target === target.id);
    if (!cell) {
      cell = { row: r.spec.id, target: target.id, samples: [] } satisfies BenchCell;
      group.cells.push(cell);
    }
    return cell;
  });
  const fail = (error: string) => {
    for (const c of cells) c.error ??= error;
    log(`  ${target.id.padEnd(12)} ${m.action} #${repeat + 1}: FAILED ${error}`);
  };
  resetBenchUploads(f, tools.vsftpdUser);
  const profileDir = o.profileDir && target.kind === "ftpkit"
    ? join(o.profileDir, `server-${target.id}-${m.action}-${repeat + 1}`)
    : undefined;
  let started: { server: BenchProcess; port: number };
  try {
    started = await startFtpServerOnFreePort((port) =>
      target.command(port, f, tools, { profileDir, blockSize: o.ftpkitBlockSize })
    );
  } catch (error) {
    fail((error as Error).message);
    return;
  }
  const { server, port } = started;
  let sampler: RssSampler | undefined;
  try {
    sampler = new RssSampler(server.pid, target.forks);
    const driver = await runBenchCommand(
      {
        cmd: tools.python,
        args: [
          join(tools.repo, "bench/driver/ftp_load.py"),
          m.action,
          "--port",
          String(port),
          ...m.args(o, f),
        ],
      },
      300_000,
    );
    const peak = sampler.stop();
    const out = parseDriverOutput(driver.stdout);
    if (driver.code !== 0 || !out || out.error) {
      fail(out?.error ?? (driver.timedOut ? "driver timed out" : driver.stderr.trim().slice(-300)));
      return;
    }
    const expected = m.uploads(o);
    if (target.kind !== "calibration" && countBenchUploads(f) !== expected) {
      fail(`expected ${expected} uploaded files, found ${countBenchUploads(f)}`);
      return;
    }
    const figures: string[] = [];
    m.rows.forEach((r, i) => {
      const value = r.value(out);
      cells[i].samples.push(value);
      cells[i].peakRssMB = Math.max(cells[i].peakRssMB ?? 0, peak);
      cells[i].driverLoad = Math.max(
        cells[i].driverLoad ?? 0,
        out.timed_cpu_seconds / out.timed_wall_seconds,
      );
      figures.push(`${r.spec.id} ${value.toFixed(r.spec.unit === "s" ? 3 : 0)} ${r.spec.unit}`);
    });
    log(
      `  ${target.id.padEnd(12)} #${repeat + 1}: ${figures.join(", ")}, peak RSS ${
        peak.toFixed(1)
      } MB`,
    );
  } catch (error) {
    fail(`${(error as Error).message}: ${server.output().trim().slice(-300)}`);
  } finally {
    sampler?.stop();
    await server.stop();
  }
}

function parseDriverOutput(stdout: string): DriverOutput | undefined {
  const line = stdout.trim().split("\n").pop();
  if (!line) return undefined;
  try {
    return JSON.parse(line) as DriverOutput;
  } catch {
    return undefined;
  }
}

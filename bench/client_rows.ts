/**
 * The client group: each client downloads and uploads the big file, lists a
 * directory of many files, and moves the small files up and back down, all
 * against one vsftpd on loopback. Clients take turns per repeat.
 *
 * @module
 */

import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BenchOptions } from "./options.ts";
import { type BenchFixtures, countBenchUploads, resetBenchUploads } from "./fixtures.ts";
import type { BenchTools } from "./peers.ts";
import { runBenchCommand, startFtpServerOnFreePort } from "./process.ts";
import { RssSampler } from "./memory.ts";
import type { BenchCell, BenchGroupResult, BenchRowSpec } from "./results.ts";
import { SERVER_TARGETS } from "./servers.ts";
import { CLIENT_TARGETS, type ClientJob, type ClientTarget } from "./clients.ts";
import type { BenchLog } from "./server_rows.ts";

const MiB = 1024 * 1024;

interface ClientRow {
  spec: BenchRowSpec;
  job(o: BenchOptions, f: BenchFixtures, port: number): ClientJob;
  /** Throws when the job's outcome is wrong. */
  check(o: BenchOptions, f: BenchFixtures, figures: { bytes: number; entries: number }): void;
  value(figures: { seconds: number; bytes: number }): number;
}

function clientRows(o: BenchOptions): ClientRow[] {
  const gib = o.bigSize % 1024 ** 3 === 0
    ? `${o.bigSize / 1024 ** 3} GiB`
    : `${(o.bigSize / MiB).toFixed(0)} MiB`;
  const rate = (x: { seconds: number; bytes: number }) => x.bytes / MiB / x.seconds;
  return [
    {
      spec: { id: "download", title: `download ${gib}`, unit: "MiB/s", better: "higher" },
      job: (_o, f, port) => ({ action: "download", port, remote: f.bigFile }),
      check: (o, _f, x) => {
        if (x.bytes !== o.bigSize) throw new Error(`downloaded ${x.bytes} of ${o.bigSize} bytes`);
      },
      value: rate,
    },
    {
      spec: { id: "upload", title: `upload ${gib}`, unit: "MiB/s", better: "higher" },
      job: (o, f, port) => ({
        action: "upload",
        port,
        remote: `${f.uploadDir}/client_upload.bin`,
        local: join(f.root, f.bigFile),
        size: o.bigSize,
      }),
      check: (o, f) => {
        const size = statSync(join(f.root, f.uploadDir, "client_upload.bin")).size;
        if (size !== o.bigSize) throw new Error(`uploaded file has ${size} of ${o.bigSize} bytes`);
      },
      value: (x) => rate({ seconds: x.seconds, bytes: o.bigSize }),
    },
    {
      spec: {
        id: "list",
        title: `list a directory of ${o.listFiles.toLocaleString("en")} files`,
        unit: "s",
        better: "lower",
      },
      job: (_o, f, port) => ({ action: "list", port, remote: f.listDir, localDir: f.downDir }),
      check: (o, f, x) => {
        const entries = x.entries === -1
          ? readFileSync(join(f.downDir, "listing.txt"), "utf8").trim().split("\n").length
          : x.entries;
        if (entries !== o.listFiles) throw new Error(`listed ${entries} of ${o.listFiles} files`);
      },
      value: (x) => x.seconds,
    },
    {
      spec: {
        id: "small-files",
        title: `${o.smallFiles} files of ${o.smallSize / 1024} KiB up, then down`,
        unit: "s",
        better: "lower",
      },
      job: (o, f, port) => ({
        action: "small",
        port,
        remote: f.uploadDir,
        files: f.smallFiles,
        size: o.smallSize,
        localDir: f.downDir,
      }),
      check: (o, f) => {
        const up = countBenchUploads(f);
        if (up !== o.smallFiles) throw new Error(`${up} of ${o.smallFiles} files uploaded`);
        for (const local of f.smallFiles) {
          const name = local.slice(local.lastIndexOf("/") + 1);
          if (statSync(join(f.downDir, name)).size !== o.smallSize) {
            throw new Error(`${name} came back with the wrong size`);
          }
        }
      },
      value: (x) => x.seconds,
    },
  ];
}

/** Runs the client group against one vsftpd. */
export async function runClientGroup(
  o: BenchOptions,
  f: BenchFixtures,
  tools: BenchTools,
  unavailable: Map<string, string>,
  log: BenchLog,
): Promise<BenchGroupResult> {
  const wanted = CLIENT_TARGETS.filter((t) => o.clients.length === 0 || o.clients.includes(t.id));
  const rows = clientRows(o).filter((r) => o.rows.length === 0 || o.rows.includes(r.spec.id));
  const group: BenchGroupResult = {
    group: "client",
    title: "Clients (against vsftpd on loopback)",
    rows: rows.map((r) => r.spec),
    targets: wanted.map((t) => ({
      id: t.id,
      label: t.label,
      kind: t.kind,
      skipped: unavailable.get(t.id),
    })),
    cells: [],
  };
  const active = wanted.filter((t) => !unavailable.has(t.id));
  if (active.length === 0 || rows.length === 0) return group;
  const vsftpd = SERVER_TARGETS.find((t) => t.id === "vsftpd")!;
  resetBenchUploads(f, tools.vsftpdUser);
  const { server, port } = await startFtpServerOnFreePort((port) => vsftpd.command(port, f, tools));
  try {
    for (const row of rows) {
      for (let repeat = 0; repeat < o.repeats; repeat++) {
        for (const target of active) {
          await measureOnce(row, target, repeat, port, o, f, tools, group, log);
        }
      }
    }
  } finally {
    await server.stop();
  }
  return group;
}

async function measureOnce(
  row: ClientRow,
  target: ClientTarget,
  repeat: number,
  port: number,
  o: BenchOptions,
  f: BenchFixtures,
  tools: BenchTools,
  group: BenchGroupResult,
  log: BenchLog,
): Promise<void> {
  let cell = group.cells.find((c) => c.row === row.spec.id && c.target === target.id);
  if (!cell) {
    cell = { row: row.spec.id, target: target.id, samples: [] } satisfies BenchCell;
    group.cells.push(cell);
  }
  resetBenchUploads(f, tools.vsftpdUser);
  const job = { ...row.job(o, f, port), ftpkitBlockSize: o.ftpkitBlockSize };
  const stdouts: string[] = [];
  let peak = 0;
  try {
    const profileDir = o.profileDir && target.kind === "ftpkit"
      ? join(o.profileDir, `client-${target.id}-${row.spec.id}-${repeat + 1}`)
      : undefined;
    for (const command of target.commands(job, tools, profileDir)) {
      let sampler: RssSampler | undefined;
      const result = await runBenchCommand(command, 600_000, (pid) => {
        sampler = new RssSampler(pid, false, 20);
      });
      peak = Math.max(peak, sampler?.stop() ?? 0);
      if (result.code !== 0) {
        const detail = result.stdout.trim().split("\n").pop() || result.stderr.trim();
        throw new Error(result.timedOut ? "timed out" : detail.slice(0, 400));
      }
      stdouts.push(result.stdout);
    }
    const figures = target.parse(stdouts, job);
    row.check(o, f, figures);
    const value = row.value(figures);
    cell.samples.push(value);
    cell.peakRssMB = Math.max(cell.peakRssMB ?? 0, peak, figures.hwmMB ?? 0);
    if (figures.rssBeforeMB !== undefined && figures.hwmMB !== undefined) {
      cell.growthMB = Math.max(cell.growthMB ?? 0, figures.hwmMB - figures.rssBeforeMB);
    }
    log(
      `  ${target.id.padEnd(12)} ${row.spec.id} #${repeat + 1}: ${
        value.toFixed(row.spec.unit === "s" ? 3 : 0)
      } ${row.spec.unit}, peak RSS ${cell.peakRssMB.toFixed(1)} MB`,
    );
  } catch (error) {
    cell.error ??= (error as Error).message;
    log(
      `  ${target.id.padEnd(12)} ${row.spec.id} #${repeat + 1}: FAILED ${(error as Error).message}`,
    );
  }
}

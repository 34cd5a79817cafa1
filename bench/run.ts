/**
 * Benchmarks ftpkit against its peers on loopback, in one sitting:
 *
 * - servers (ftpbench's rows): ftpkit on Deno, Bun and Node, pyftpdlib,
 *   aioftp, ftp-srv and vsftpd, each loaded by the same neutral Python driver;
 * - clients: ftpkit's client on Deno, Bun and Node, basic-ftp and curl
 *   against vsftpd.
 *
 * Writes `bench/results/latest.md`, `latest.json` and `latest.svg`.
 *
 * Usage: `npm run bench -- [options]` or `deno run -A bench/run.ts [options]`
 * (`--help` lists them; `--quick` is a short smoke run).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BenchUsageRequest, parseBenchArgs } from "./options.ts";
import { checkBenchTools, ftpkitClientAvailable, ftpkitServerExists } from "./peers.ts";
import { createBenchFixtures, removeBenchFixtures } from "./fixtures.ts";
import { killAllBenchProcesses } from "./process.ts";
import { SERVER_TARGETS } from "./servers.ts";
import { CLIENT_TARGETS } from "./clients.ts";
import { runServerGroup } from "./server_rows.ts";
import { runClientGroup } from "./client_rows.ts";
import type { BenchRun } from "./results.ts";
import { runMarkdown } from "./report.ts";
import { ratioChartSvg } from "./chart.ts";
import { cpuProfileSummaryText, findCpuProfiles } from "./profile_summary.ts";

function version(cmd: string, args: string[], pattern = /(\d+\.\d+(?:\.\d+)?)/): string {
  const result = spawnSync(cmd, args, { encoding: "utf8", stdio: "pipe", timeout: 30_000 });
  return pattern.exec(`${result.stdout ?? ""}${result.stderr ?? ""}`)?.[1] ?? "?";
}

function log(line: string): void {
  console.log(line);
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseBenchArgs(
      process.argv.slice(2),
      existsSync("/dev/shm") ? "/dev/shm" : tmpdir(),
    );
  } catch (error) {
    console.error((error as Error).message);
    return error instanceof BenchUsageRequest ? 0 : 2;
  }
  const started = Date.now();
  const load = { start: loadavg()[0], end: 0, max: loadavg()[0] };
  const loadWatch = setInterval(() => load.max = Math.max(load.max, loadavg()[0]), 5000);

  const serverIds = options.groups.includes("server")
    ? SERVER_TARGETS.filter((t) => options.servers.length === 0 || options.servers.includes(t.id))
      .map((t) => t.id)
    : [];
  const clientIds = options.groups.includes("client")
    ? CLIENT_TARGETS.filter((t) => options.clients.length === 0 || options.clients.includes(t.id))
      .map((t) => t.id)
    : [];
  const needed = new Set([...serverIds, ...clientIds, "null"]);
  if (clientIds.length) needed.add("vsftpd");
  log("== checking peers and tools");
  const { tools, unavailable, notes } = checkBenchTools(options.install, needed);
  for (const note of notes) log(`   ${note}`);
  const serverUnavailable = new Map(unavailable);
  const clientUnavailable = new Map(unavailable);
  if (!ftpkitServerExists()) {
    for (const id of ["ftpkit-deno", "ftpkit-bun", "ftpkit-node"]) {
      serverUnavailable.set(id, "ftpkit's server/ exports no Server yet");
    }
  }
  if (!ftpkitClientAvailable()) {
    for (const id of ["ftpkit-deno", "ftpkit-bun", "ftpkit-node"]) {
      clientUnavailable.set(id, "ftpkit's client/ exports no Client yet");
    }
  }
  if (unavailable.has("vsftpd")) {
    for (const id of clientIds) {
      clientUnavailable.set(id, `the client rows run against vsftpd: ${unavailable.get("vsftpd")}`);
    }
  }
  for (const [id, reason] of new Map([...serverUnavailable, ...clientUnavailable])) {
    if (needed.has(id)) log(`   skip ${id}: ${reason}`);
  }

  log(`== fixtures in ${options.workDir}`);
  const fixtures = createBenchFixtures(options.workDir, {
    bigSize: options.bigSize,
    multiSize: options.multiSize,
    listFiles: options.listFiles,
    smallFiles: options.smallFiles,
    smallSize: options.smallSize,
    uploadOwner: tools.vsftpdUser,
  });
  // Ctrl-C: stop every server and client started so far, and remove the fixtures.
  const cleanUp = () => {
    removeBenchFixtures(fixtures);
    rmSync(tools.nodeBuild, { recursive: true, force: true });
  };
  const interrupt = () => {
    killAllBenchProcesses();
    cleanUp();
    process.exit(130);
  };
  process.on("SIGINT", interrupt);
  process.on("SIGTERM", interrupt);
  const run: BenchRun = {
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    environment: {
      cpu: `${cpus().length}× ${cpus()[0]?.model.trim() ?? "?"}`,
      kernel: readFileSync("/proc/sys/kernel/osrelease", "utf8").trim(),
      deno: version(tools.deno, ["--version"]),
      bun: version(tools.bun, ["--version"]),
      node: version(tools.node, ["--version"]),
      python: version(tools.python, ["--version"]),
      pyftpdlib: version(tools.python, ["-c", "import pyftpdlib; print(pyftpdlib.__ver__)"]),
      aioftp: version(tools.python, ["-c", "import aioftp; print(aioftp.__version__)"]),
      "ftp-srv": readJsonVersion(join(tools.repo, "node_modules/ftp-srv/package.json")),
      "basic-ftp": readJsonVersion(join(tools.repo, "node_modules/basic-ftp/package.json")),
      // vsftpd prints its version on fd 0.
      vsftpd: tools.vsftpd ? version("sh", ["-c", `'${tools.vsftpd}' -v 0>&1`]) : "?",
      curl: version(tools.curl, ["--version"]),
    },
    options: { ...options },
    load,
    groups: [],
    notes,
  };
  try {
    if (options.groups.includes("server")) {
      log("== server group");
      run.groups.push(await runServerGroup(options, fixtures, tools, serverUnavailable, log));
    }
    if (options.groups.includes("client")) {
      log("== client group (against vsftpd)");
      run.groups.push(await runClientGroup(options, fixtures, tools, clientUnavailable, log));
    }
  } finally {
    cleanUp();
  }
  clearInterval(loadWatch);
  load.end = loadavg()[0];
  load.max = Math.max(load.max, load.end);
  run.seconds = (Date.now() - started) / 1000;

  // A profiled run's figures are slowed down by the profiler: keep them out of bench/results.
  const dir = resolve(tools.repo, options.profileDir ?? options.resultsDir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "latest.json"), JSON.stringify(run, null, 2) + "\n");
  writeFileSync(join(dir, "latest.svg"), ratioChartSvg(run));
  const markdown = runMarkdown(run, "latest.svg");
  writeFileSync(join(dir, "latest.md"), markdown);
  log("");
  log(markdown);
  log(`== wrote ${join(dir, "latest.md")}, latest.json, latest.svg`);
  if (options.profileDir && existsSync(options.profileDir)) {
    const summaries = findCpuProfiles(options.profileDir).map((file) =>
      cpuProfileSummaryText(file, tools.repo, 20)
    );
    writeFileSync(join(options.profileDir, "summary.txt"), summaries.join("\n\n") + "\n");
    log(
      `== ${summaries.length} CPU profiles summarised in ${
        join(options.profileDir, "summary.txt")
      }`,
    );
  }
  return 0;
}

function readJsonVersion(path: string): string {
  try {
    return JSON.parse(readFileSync(path, "utf8")).version;
  } catch {
    return "?";
  }
}

process.exitCode = await main();

/**
 * Side-by-side speed check of ftpkit's client against curl and basic-ftp
 * (issue 6), all against one vsftpd on loopback, in one run:
 *
 * - download and upload of one large file (local side in tmpfs),
 * - listing a directory of 10,000 files,
 * - 100 files of 16 KiB uploaded, then downloaded.
 *
 * ftpkit runs on the runtime that runs this script; basic-ftp runs on Node
 * (`node` on PATH); curl is the reference. Each job connects, logs in, works
 * and quits; the jobs take turns within each repeat so load elsewhere on the
 * machine spreads over all three. Prints the median of the repeats and the
 * ratios ftpkit/curl and ftpkit/basic-ftp (above 1 = ftpkit is faster).
 *
 * Not a test (no `_test` suffix): run it by hand.
 *
 * ```sh
 * node_modules/.bin/deno run -A tests/client/speed_check.ts [--big-mib 128] [--repeats 3]
 * node_modules/.bin/bun tests/client/speed_check.ts
 * node npm/tests/client/speed_check.js   # after scripts/build_npm.ts
 * ```
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "../../mod.ts";
import { RUNTIME } from "../_helpers.ts";
import { REPO_ROOT, startVsftpd } from "./_peers.ts";

const argv = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}
const BIG_BYTES = option("big-mib", 128) * 1024 * 1024;
const REPEATS = option("repeats", 3);
const LIST_FILES = option("list-files", 10_000);
const SMALL_FILES = option("small-files", 100);
const SMALL_BYTES = 16 * 1024;
const only = (() => {
  const at = argv.indexOf("--jobs");
  return at >= 0 ? argv[at + 1].split(",") : ["download", "upload", "list", "small"];
})();

type Job = "download" | "upload" | "list" | "small";
type Tool = "curl" | "basic-ftp" | "ftpkit";

interface Setup {
  port: number;
  /** The server's root on disk. */
  serverRoot: string;
  /** Local files (tmpfs when available). */
  local: string;
  smallNames: string[];
}

function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Uint8Array) => out += new TextDecoder().decode(c));
    child.stderr.on("data", (c: Uint8Array) => err += new TextDecoder().decode(c));
    child.once("error", reject);
    child.once("close", (code: number | null) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} exited with ${code}: ${err.slice(-2000)}`));
    });
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

// ---- curl ----

function curlJob(s: Setup, job: Job): Promise<number> {
  const base = `ftp://127.0.0.1:${s.port}`;
  const common = ["-s", "-S", "--user", "anonymous:"];
  switch (job) {
    case "download":
      return timed(() =>
        run("curl", [...common, "-o", join(s.local, "big.curl"), `${base}/big.bin`])
      );
    case "upload":
      return timed(() =>
        run("curl", [...common, "-T", join(s.local, "big.bin"), `${base}/up/big.curl`])
      );
    case "list":
      return timed(() => run("curl", [...common, "-o", "/dev/null", `${base}/many/`]));
    case "small":
      return curlSmallFiles(s, base, common);
  }
}

/**
 * One curl per file, summing curl's own `time_total` (connect to end) so
 * that process start-up does not count: with many URLs in one process, curl
 * waits ~250 ms per file on vsftpd here.
 */
async function curlSmallFiles(s: Setup, base: string, common: string[]): Promise<number> {
  let seconds = 0;
  const timing = ["-w", "%{time_total}\\n"];
  for (const n of s.smallNames) {
    const url = `${base}/up/curl-${n}`;
    seconds += Number(
      await run("curl", [...common, ...timing, "-T", join(s.local, "small", n), url]),
    );
  }
  for (const n of s.smallNames) {
    const url = `${base}/up/curl-${n}`;
    const out = join(s.local, "down", `curl-${n}`);
    seconds += Number(await run("curl", [...common, ...timing, "-o", out, url]));
  }
  return seconds;
}

// ---- basic-ftp (node) ----

const BASIC_FTP_SCRIPT = `
import { Client } from "basic-ftp";
const [port, job, local, names] = process.argv.slice(1);
const start = performance.now();
const client = new Client(0);
await client.access({ host: "127.0.0.1", port: Number(port), user: "anonymous", password: "" });
if (job === "download") await client.downloadTo(local + "/big.basic", "big.bin");
else if (job === "upload") await client.uploadFrom(local + "/big.bin", "up/big.basic");
else if (job === "list") {
  if ((await client.list("many")).length < 1) throw new Error("empty listing");
} else {
  for (const n of names.split(",")) await client.uploadFrom(local + "/small/" + n, "up/basic-" + n);
  for (const n of names.split(",")) await client.downloadTo(local + "/down/basic-" + n, "up/basic-" + n);
}
client.close();
console.log((performance.now() - start) / 1000);
`;

async function basicFtpJob(s: Setup, job: Job): Promise<number> {
  const out = await run(
    "node",
    [
      "--input-type=module",
      "-e",
      BASIC_FTP_SCRIPT,
      String(s.port),
      job,
      s.local,
      s.smallNames.join(","),
    ],
    REPO_ROOT,
  );
  return Number(out.trim());
}

// ---- ftpkit, in this process ----

async function ftpkitJob(s: Setup, job: Job): Promise<number> {
  return await timed(async () => {
    const client = await Client.context("127.0.0.1", { port: s.port, user: "anonymous" });
    try {
      if (job === "download") {
        await client.download("big.bin", join(s.local, "big.ftpkit"), { writeInto: true });
      } else if (job === "upload") {
        await client.upload(join(s.local, "big.bin"), "up/big.ftpkit", { writeInto: true });
      } else if (job === "list") {
        let entries = 0;
        for await (const _ of client.list("many")) entries++;
        if (entries !== LIST_FILES) throw new Error(`listed ${entries} of ${LIST_FILES}`);
      } else {
        for (const n of s.smallNames) {
          await client.upload(join(s.local, "small", n), `up/ftpkit-${n}`, { writeInto: true });
        }
        for (const n of s.smallNames) {
          await client.download(`up/ftpkit-${n}`, join(s.local, "down", `ftpkit-${n}`), {
            writeInto: true,
          });
        }
      }
    } finally {
      await client.quit();
    }
  });
}

// ---- fixtures and report ----

function pseudoRandom(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function makeFixtures(serverRoot: string, local: string): Promise<string[]> {
  const big = pseudoRandom(BIG_BYTES, 7);
  await writeFile(join(serverRoot, "big.bin"), big);
  await writeFile(join(local, "big.bin"), big);
  await mkdir(join(serverRoot, "up"));
  await mkdir(join(serverRoot, "many"));
  const empty = new Uint8Array(0);
  for (let i = 0; i < LIST_FILES; i++) {
    await writeFile(join(serverRoot, "many", `file-${String(i).padStart(5, "0")}.txt`), empty);
  }
  await mkdir(join(local, "small"));
  await mkdir(join(local, "down"));
  const names: string[] = [];
  for (let i = 0; i < SMALL_FILES; i++) {
    const name = `s${String(i).padStart(3, "0")}.bin`;
    await writeFile(join(local, "small", name), pseudoRandom(SMALL_BYTES, i + 11));
    names.push(name);
  }
  return names;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function figure(job: Job, seconds: number): string {
  if (job === "download" || job === "upload") {
    return `${(BIG_BYTES / seconds / 1e6).toFixed(0)} MB/s`;
  }
  return `${seconds.toFixed(3)} s`;
}

async function main(): Promise<void> {
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const local = await mkdtemp(join(base, "ftpkit-speed-"));
  const peer = await startVsftpd();
  try {
    const smallNames = await makeFixtures(peer.root, local);
    const s: Setup = { port: peer.port, serverRoot: peer.root, local, smallNames };
    const tools: [Tool, (s: Setup, job: Job) => Promise<number>][] = [
      ["curl", curlJob],
      ["basic-ftp", basicFtpJob],
      ["ftpkit", ftpkitJob],
    ];
    console.log(
      `ftpkit on ${RUNTIME}, vsftpd on loopback; large file ${BIG_BYTES / 1024 / 1024} MiB, ` +
        `${LIST_FILES} files listed, ${SMALL_FILES} × 16 KiB up+down; median of ${REPEATS}`,
    );
    console.log(
      "job       | curl         | basic-ftp    | ftpkit       | ftpkit/curl | ftpkit/basic-ftp",
    );
    for (const job of only as Job[]) {
      const samples: Record<Tool, number[]> = { curl: [], "basic-ftp": [], ftpkit: [] };
      for (let r = 0; r < REPEATS; r++) {
        for (const [tool, fn] of tools) samples[tool].push(await fn(s, job));
      }
      const m = (t: Tool) => median(samples[t]);
      const ratio = (t: Tool) => (m(t) / m("ftpkit")).toFixed(2);
      console.log(
        `${job.padEnd(9)} | ${figure(job, m("curl")).padEnd(12)} | ` +
          `${figure(job, m("basic-ftp")).padEnd(12)} | ${figure(job, m("ftpkit")).padEnd(12)} | ` +
          `${ratio("curl").padStart(11)} | ${ratio("basic-ftp").padStart(16)}`,
      );
    }
  } finally {
    await peer.stop();
    await rm(local, { recursive: true, force: true });
  }
}

await main();

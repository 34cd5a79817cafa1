/**
 * Finds (and when allowed, installs) what the benchmark runs: the runtimes,
 * the peers (pyftpdlib, aioftp, vsftpd, ftp-srv, basic-ftp, curl) and
 * ftpkit's own server and client (a private tsc build for Node).
 *
 * vsftpd is not `apt-get install`ed: Debian's vsftpd, pure-ftpd and proftpd
 * conflict (each provides `ftp-server`), so installing one removes the others
 * that other suites use. The benchmark unpacks the vsftpd package into
 * `.tmp/bench-peers/` instead (`apt-get download` + `dpkg-deb -x`).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type AnonymousUser, vsftpdAnonymousUser } from "./servers.ts";

/** Paths of the programs the benchmark runs. */
export interface BenchTools {
  /** Repository root. */
  repo: string;
  /** deno executable. */
  deno: string;
  /** bun executable. */
  bun: string;
  /** node executable. */
  node: string;
  /** Debian's python3 (has pyftpdlib and aioftp). */
  python: string;
  /** vsftpd executable. */
  vsftpd: string;
  /** User vsftpd maps anonymous sessions to. */
  vsftpdUser?: AnonymousUser;
  /** curl executable. */
  curl: string;
  /** Directory of the private tsc build of ftpkit that Node runs (removed after the run). */
  nodeBuild: string;
}

/** Tools found, and why some targets cannot run. */
export interface BenchToolCheck {
  /** Paths. */
  tools: BenchTools;
  /** Target id → reason it is skipped. */
  unavailable: Map<string, string>;
  /** What was installed or built, for the log. */
  notes: string[];
}

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");

function which(name: string): string | undefined {
  const result = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}

function runs(cmd: string, args: string[], cwd = repo): boolean {
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: "pipe", timeout: 600_000 });
  return result.status === 0;
}

function aptInstall(packages: string[], notes: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...packages], {
      env,
      stdio: "pipe",
      timeout: 600_000,
    }).status === 0;
  if (install()) {
    notes.push(`apt-get install ${packages.join(" ")}`);
    return true;
  }
  spawnSync("apt-get", ["update"], { env, stdio: "pipe", timeout: 600_000 });
  const ok = install();
  if (ok) notes.push(`apt-get update && apt-get install ${packages.join(" ")}`);
  return ok;
}

/** Locates vsftpd, unpacking Debian's package into `.tmp/bench-peers/` if needed. */
function findVsftpd(install: boolean, notes: string[]): string | undefined {
  for (const path of ["/usr/sbin/vsftpd", which("vsftpd")]) {
    if (path && existsSync(path)) return path;
  }
  const dir = join(repo, ".tmp", "bench-peers", "vsftpd");
  const unpacked = join(dir, "usr", "sbin", "vsftpd");
  if (existsSync(unpacked)) return unpacked;
  if (!install) return undefined;
  mkdirSync(dir, { recursive: true });
  const cached = "/var/cache/apt/archives";
  const fromCache = () =>
    existsSync(cached)
      ? readdirSync(cached).filter((f) => /^vsftpd_.*\.deb$/.test(f)).map((f) => join(cached, f))
      : [];
  const local = () => readdirSync(dir).filter((f) => f.endsWith(".deb")).map((f) => join(dir, f));
  let debs = [...fromCache(), ...local()];
  if (debs.length === 0) {
    if (!runs("apt-get", ["download", "vsftpd"], dir)) {
      runs("apt-get", ["update"], dir);
      runs("apt-get", ["download", "vsftpd"], dir);
    }
    debs = local();
  }
  if (debs.length === 0) return undefined;
  if (!runs("dpkg-deb", ["-x", debs[0], dir])) return undefined;
  notes.push(`unpacked ${debs[0]} into ${dir}`);
  return existsSync(unpacked) ? unpacked : undefined;
}

/** Builds ftpkit for Node with tsc into `.tmp/bench-npm-<pid>/` (not `npm/`, which the test runner rebuilds). */
function buildForNode(tsc: string, outDir: string): boolean {
  spawnSync(tsc, ["-p", join(repo, "tsconfig.npm.json"), "--outDir", outDir], {
    cwd: repo,
    stdio: "pipe",
    timeout: 600_000,
  });
  // tsc emits even when some file has type errors; what matters is that the entry points exist.
  return existsSync(join(outDir, "mod.js"));
}

/** Whether a file in `dir` (e.g. `client`) exports class `name` yet. */
function exportsClass(dir: string, name: string): boolean {
  const path = join(repo, dir);
  if (!existsSync(path)) return false;
  const pattern = new RegExp(`export class ${name}\\b`);
  return readdirSync(path).some((f) =>
    f.endsWith(".ts") && pattern.test(readFileSync(join(path, f), "utf8"))
  );
}

/**
 * Checks every target's prerequisites, installing peers when `install` is set.
 * `needed` lists target ids (server and client) that will run.
 */
export function checkBenchTools(install: boolean, needed: Set<string>): BenchToolCheck {
  const notes: string[] = [];
  const unavailable = new Map<string, string>();
  const bin = (name: string) => join(repo, "node_modules", ".bin", name);
  const tools: BenchTools = {
    repo,
    deno: bin("deno"),
    bun: bin("bun"),
    node: which("node") ?? "node",
    python: "/usr/bin/python3",
    vsftpd: "",
    curl: which("curl") ?? "curl",
    // One build per run: a second run rebuilding the same directory would pull it from under Node.
    nodeBuild: join(repo, ".tmp", `bench-npm-${process.pid}`),
  };

  if (!existsSync(tools.python)) {
    if (!install || !aptInstall(["python3"], notes)) {
      for (const id of ["pyftpdlib", "aioftp", "null"]) unavailable.set(id, "no /usr/bin/python3");
    }
  }
  for (
    const [id, module, pkg] of [
      ["pyftpdlib", "pyftpdlib", "python3-pyftpdlib"],
      ["aioftp", "aioftp", "python3-aioftp"],
    ]
  ) {
    if (!needed.has(id) || unavailable.has(id)) continue;
    if (runs(tools.python, ["-c", `import ${module}`])) continue;
    if (!install || !aptInstall([pkg], notes) || !runs(tools.python, ["-c", `import ${module}`])) {
      unavailable.set(id, `python module ${module} missing (apt-get install ${pkg})`);
    }
  }

  if (needed.has("vsftpd")) {
    const vsftpd = findVsftpd(install, notes);
    tools.vsftpdUser = vsftpdAnonymousUser();
    if (!vsftpd) unavailable.set("vsftpd", "vsftpd not found and could not be unpacked");
    else if (process.getuid?.() !== 0) unavailable.set("vsftpd", "vsftpd needs root (chroot)");
    else if (!tools.vsftpdUser) unavailable.set("vsftpd", "no ftp/daemon user with a home");
    tools.vsftpd = vsftpd ?? "";
  }

  if (needed.has("curl") && !which("curl")) {
    if (!install || !aptInstall(["curl"], notes)) unavailable.set("curl", "curl missing");
    tools.curl = which("curl") ?? "curl";
  }
  for (const id of ["ftp-srv", "basic-ftp"]) {
    if (needed.has(id) && !existsSync(join(repo, "node_modules", id, "package.json"))) {
      unavailable.set(id, `npm package ${id} missing (npm ci)`);
    }
  }
  if (!which("node")) {
    for (const id of ["ftp-srv", "basic-ftp", "ftpkit-node"]) unavailable.set(id, "node missing");
  }

  if (
    needed.has("ftpkit-node") && !unavailable.has("ftpkit-node") &&
    (ftpkitServerExists() || ftpkitClientAvailable())
  ) {
    if (buildForNode(bin("tsc"), tools.nodeBuild)) {
      notes.push(`built ftpkit for Node in ${tools.nodeBuild}`);
    } else unavailable.set("ftpkit-node", "tsc build of ftpkit for Node failed");
  }
  return { tools, unavailable, notes };
}

/** Whether ftpkit's server exists (`server/` exports `Server`). */
export function ftpkitServerExists(): boolean {
  return exportsClass("server", "Server");
}

/** Whether ftpkit's client exists (`client/` exports `Client`). */
export function ftpkitClientAvailable(): boolean {
  return exportsClass("client", "Client");
}

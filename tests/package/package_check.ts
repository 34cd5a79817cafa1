/**
 * Checks ftpkit the way users get it, outside the repository:
 *
 * 1. copies the working tree to a temporary directory and builds the npm
 *    package there (`scripts/build_npm.ts`), so a concurrent test run's
 *    `npm/` is left alone;
 * 2. `npm pack`s it and checks the file list (no tests, no examples);
 * 3. installs the tarball offline into a fresh Node project
 *    (`npm install --offline`) and a fresh Bun project (`bun add`), and in
 *    each runs a script importing `ftpkit` that starts a `Server` on port 0,
 *    uploads and downloads with a `Client`, compares, and runs the
 *    package's `ftpkit` command against the same server;
 * 4. type-checks a TypeScript consumer against the installed `.d.ts` files;
 * 5. runs `deno publish --dry-run` (works offline) for JSR.
 *
 * Run: `deno run -A tests/package/package_check.ts` (CI: from `.ci/run`).
 * Exits non-zero when a step fails. Needs Node, and Bun and Deno from
 * `node_modules/.bin`; no network.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository: this file is tests/package/ (or npm/tests/package/ when compiled). */
const root = here.includes(`${join("npm", "tests")}`)
  ? join(here, "..", "..", "..")
  : join(here, "..", "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
/** What is not copied: installed tools, build output, VCS data, scratch files. */
const SKIPPED = new Set(["node_modules", "npm", ".git", ".tmp"]);

/** The consumer both projects run: server + client + the package's CLI, all through `ftpkit`. */
const SMOKE_SCRIPT = `
import { execFile } from "node:child_process";
import { Client, MemoryPathIO, Server, User } from "ftpkit";
import { Client as ClientFromSubpath } from "ftpkit/client";

if (Client !== ClientFromSubpath) throw new Error("subpath export gives another Client");
const server = new Server({ pathIO: new MemoryPathIO(), users: [new User({ login: "u", password: "p" })] });
const { port } = await server.start("127.0.0.1", 0);
try {
  const url = "ftp://u:p@127.0.0.1:" + port;
  const payload = new Uint8Array(300_000).map((_, i) => (i * 7) & 255);
  // Plain JavaScript on Node 20 has no \`await using\`: quit() in finally instead.
  const client = await Client.context(url);
  try {
    const upload = await client.uploadStream("/smoke.bin");
    await new Blob([payload]).stream().pipeTo(upload.writable);
    await upload.finish();
    const download = await client.downloadStream("/smoke.bin");
    const back = new Uint8Array(await new Response(download.readable).arrayBuffer());
    await download.finish();
    if (back.length !== payload.length || back.some((b, i) => b !== payload[i])) {
      throw new Error("downloaded bytes differ");
    }
  } finally {
    await client.quit();
  }
  const [program, ...args] = process.argv.slice(2);
  // Asynchronous: the server answering the command runs in this process.
  const cli = await new Promise((resolve) =>
    execFile(program, [...args, "ls", "-l", url + "/"], { timeout: 30000 }, (error, stdout, stderr) =>
      resolve({ status: error ? error.code ?? 1 : 0, stdout, stderr }))
  );
  if (cli.status !== 0 || !/smoke\\.bin/.test(cli.stdout)) {
    throw new Error("ftpkit ls failed: " + cli.status + " " + cli.stdout + cli.stderr);
  }
  console.log("smoke ok: 300000 bytes up and down; ftpkit ls: " + cli.stdout.trim());
} finally {
  await server.close();
}
`;

/** A TypeScript consumer: must type-check against the package's declarations. */
const TYPED_CONSUMER = `
import { Client, type ClientOptions, MemoryPathIO, Server, type ServerOptions, User } from "ftpkit";
import { parseFtpUrl } from "ftpkit/client";
const options: ClientOptions = { socketTimeout: 5000, passive: true };
const serverOptions: ServerOptions = { pathIO: new MemoryPathIO(), users: [new User()] };
export async function roundTrip(): Promise<number> {
  const server = new Server(serverOptions);
  const { port } = await server.start("127.0.0.1", 0);
  const client = await Client.context(parseFtpUrl("ftp://127.0.0.1:" + port).host, { ...options, port });
  const size: number = (await client.list("/").toArray()).length;
  await client.quit();
  await server.close();
  return size;
}
`;

/** A registry that refuses connections: proves the installs need no network. */
const NO_REGISTRY = {
  npm_config_registry: "http://127.0.0.1:9/",
  BUN_CONFIG_REGISTRY: "http://127.0.0.1:9/",
};

interface Step {
  name: string;
  ok: boolean;
  seconds: number;
  detail: string;
}
const steps: Step[] = [];

function run(
  name: string,
  program: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): string {
  const start = performance.now();
  const result = spawnSync(program, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const ok = result.status === 0;
  steps.push({
    name,
    ok,
    seconds: (performance.now() - start) / 1000,
    detail: ok ? lastLine(result.stdout || output) : output.slice(-4000) || String(result.error),
  });
  if (!ok) throw new Error(`${name} failed`);
  return result.stdout ?? "";
}

function check(name: string, condition: boolean, detail: string): void {
  steps.push({ name, ok: condition, seconds: 0, detail });
  if (!condition) throw new Error(`${name} failed`);
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

const work = mkdtempSync(join(tmpdir(), "ftpkit-package-"));
let failed = false;
try {
  const src = join(work, "src");
  mkdirSync(src);
  for (const entry of readdirSync(root)) {
    if (!SKIPPED.has(entry)) cpSync(join(root, entry), join(src, entry), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(src, "node_modules"), "dir");

  run("build the npm package", bin("deno"), ["run", "-A", "scripts/build_npm.ts"], src);
  const npmDir = join(src, "npm");
  const packed = JSON.parse(
    run("npm pack", "npm", ["pack", "--json", "--pack-destination", work], npmDir),
  );
  const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
  const tarball = join(work, packed[0].filename);
  steps[steps.length - 1].detail = packed[0].filename;
  check(
    "package contents",
    [
      "package.json",
      "mod.js",
      "mod.d.ts",
      "cli.js",
      "client/mod.js",
      "server/mod.d.ts",
      "README.md",
    ]
      .every((f) => files.includes(f)) &&
      !files.some((f) => f.startsWith("tests/") || f.startsWith("examples/")),
    `${files.length} files, ${(packed[0].size / 1024).toFixed(0)} KiB packed, ${
      (packed[0].unpackedSize / 1024).toFixed(0)
    } KiB unpacked`,
  );

  // Node: a fresh project, installed offline from the tarball (ftpkit has no dependencies).
  const nodeApp = join(work, "node-app");
  mkdirSync(nodeApp);
  writeFileSync(
    join(nodeApp, "package.json"),
    JSON.stringify({ name: "node-app", private: true, type: "module" }),
  );
  run(
    "npm install --offline (Node project)",
    "npm",
    [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      tarball,
    ],
    nodeApp,
    NO_REGISTRY,
  );
  writeFileSync(join(nodeApp, "smoke.mjs"), SMOKE_SCRIPT);
  run("Node: server + client + ftpkit bin", "node", [
    "smoke.mjs",
    join(nodeApp, "node_modules", ".bin", "ftpkit"),
  ], nodeApp);
  writeFileSync(join(nodeApp, "consumer.ts"), TYPED_CONSUMER);
  run(
    "TypeScript consumer type-checks (tsc, NodeNext)",
    bin("tsc"),
    [
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "--target",
      "es2022",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--lib",
      "es2023,esnext.disposable,dom,dom.iterable",
      "--types",
      "node",
      "--typeRoots",
      join(root, "node_modules", "@types"),
      "consumer.ts",
    ],
    nodeApp,
  );

  // Bun: a fresh project, `bun add` of the tarball.
  const bunApp = join(work, "bun-app");
  mkdirSync(bunApp);
  writeFileSync(
    join(bunApp, "package.json"),
    JSON.stringify({ name: "bun-app", private: true, type: "module" }),
  );
  run("bun add (Bun project)", bin("bun"), ["add", tarball], bunApp, NO_REGISTRY);
  writeFileSync(join(bunApp, "smoke.ts"), SMOKE_SCRIPT);
  run(
    "Bun: server + client + ftpkit bin",
    bin("bun"),
    ["smoke.ts", bin("bun"), join(bunApp, "node_modules", "ftpkit", "cli.js")],
    bunApp,
  );

  // JSR: the dry run checks types, slow types and the file list without uploading.
  run("deno publish --dry-run (JSR)", bin("deno"), ["publish", "--dry-run", "--allow-dirty"], src);
} catch (err) {
  failed = true;
  if (!steps.some((s) => !s.ok)) {
    steps.push({ name: "package check", ok: false, seconds: 0, detail: String(err) });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const s of steps) {
  console.log(
    `${s.ok ? "ok  " : "FAIL"} ${s.name}${
      s.seconds ? ` (${s.seconds.toFixed(1)} s)` : ""
    }: ${s.detail}`,
  );
}
console.log(failed ? "package check: FAILED" : "package check: ok");
process.exitCode = failed ? 1 : 0;

/**
 * Builds the npm package `ftpkit` into `npm/` from the same sources Deno and
 * Bun run: TypeScript (from npm) compiles to ESM with `.d.ts`, relative `.ts`
 * imports rewritten to `.js`. The compiled tests land in `npm/tests/` (not
 * published) so the suite can run under Node against the built package.
 *
 * Run: `deno run -A scripts/build_npm.ts [version]`
 *
 * @module
 */

import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// `--out DIR` builds elsewhere (the test runner uses a directory per run, so
// concurrent runs never delete each other's build). Keep DIR one level below
// the repository root, like `npm/`: compiled tests find fixtures relative to it.
const outAt = process.argv.indexOf("--out");
// Relative to the repository root; an absolute path stays as it is.
const out = outAt >= 0 ? resolve(root, process.argv.splice(outAt, 2)[1]) : join(root, "npm");
const denoJson = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const version = process.argv[2] ?? denoJson.version;

rmSync(out, { recursive: true, force: true });
const tsc = join(root, "node_modules", ".bin", "tsc");
const result = spawnSync(tsc, ["-p", join(root, "tsconfig.npm.json"), "--outDir", out], {
  stdio: "inherit",
});
if (result.status !== 0) {
  console.error("build_npm: tsc failed");
  process.exit(result.status ?? 1);
}

// The command-line entry gets a shebang so `npx ftpkit` and the package's bin work.
const cliJs = join(out, "cli.js");
if (existsSync(cliJs)) {
  const text = readFileSync(cliJs, "utf8");
  if (!text.startsWith("#!")) writeFileSync(cliJs, "#!/usr/bin/env node\n" + text);
  chmodSync(cliJs, 0o755);
}

// Non-TypeScript files the tests need (certificates, sample listings).
copyAssets(join(root, "tests"), join(out, "tests"));

const exportsMap: Record<string, unknown> = {};
for (const [key, value] of Object.entries(denoJson.exports as Record<string, string>)) {
  const js = value.replace(/\.ts$/, ".js");
  exportsMap[key] = { types: js.replace(/\.js$/, ".d.ts"), import: js };
}
const pkg = {
  name: "ftpkit",
  version,
  description:
    "FTP client and server on Web Streams for Deno, Bun and Node: FTPS, active and passive mode, MLSD, HASH, throttling, pluggable storage.",
  license: "MIT",
  type: "module",
  main: "./mod.js",
  types: "./mod.d.ts",
  exports: exportsMap,
  bin: existsSync(join(out, "cli.js")) ? { ftpkit: "./cli.js" } : undefined,
  files: ["**/*.js", "**/*.d.ts", "!tests/**", "!examples/**", "!bench/**", "README.md", "LICENSE"],
  engines: { node: ">=20" },
  keywords: ["ftp", "ftps", "ftp-server", "ftp-client", "deno", "bun", "web-streams"],
  sideEffects: false,
};
writeFileSync(join(out, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
for (const file of ["README.md", "LICENSE"]) {
  if (existsSync(join(root, file))) cpSync(join(root, file), join(out, file));
}
console.log(`build_npm: ftpkit ${version} built into ${out}`);

function copyAssets(from: string, to: string): void {
  if (!existsSync(from)) return;
  for (const entry of readdirSync(from)) {
    const src = join(from, entry);
    const dst = join(to, entry);
    if (statSync(src).isDirectory()) {
      copyAssets(src, dst);
    } else if (!entry.endsWith(".ts")) {
      mkdirSync(to, { recursive: true });
      cpSync(src, dst);
    }
  }
}

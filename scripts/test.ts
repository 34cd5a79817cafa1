/**
 * Runs the one test suite on the three runtimes in turn:
 *
 * - Deno: `deno test -A tests/`
 * - Bun: `bun test tests/`
 * - Node: builds the npm package (`scripts/build_npm.ts`), then
 *   `node --test` on the compiled tests in `npm/tests/`, so Node exercises the
 *   built package.
 *
 * Prints one summary line per runtime and a final `N passed, N failed` line;
 * exits non-zero if any runtime fails or runs no test.
 *
 * Usage: `deno run -A scripts/test.ts [--only deno,bun,node] [name filter]`
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);

const args = process.argv.slice(2);
let only = ["deno", "bun", "node"];
const onlyAt = args.indexOf("--only");
if (onlyAt >= 0) {
  only = args[onlyAt + 1].split(",");
  args.splice(onlyAt, 2);
}
const filter = args[0];

interface Outcome {
  runtime: string;
  passed: number;
  failed: number;
  skipped: number;
  exitCode: number;
  seconds: number;
}

function findTests(dir: string, suffix: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path, suffix));
    else if (entry.endsWith(suffix) && (!filter || path.includes(filter))) found.push(path);
  }
  return found.sort();
}

function run(
  cmd: string,
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const take = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      if (out.length > 4_000_000) out = out.slice(-2_000_000);
      stream.write(text);
    };
    child.stdout.on("data", take(process.stdout));
    child.stderr.on("data", take(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

function count(out: string, patterns: RegExp[]): number {
  let total = 0;
  for (const re of patterns) {
    for (const m of out.matchAll(re)) total = Math.max(total, Number(m[1]));
  }
  return total;
}

// deno-lint-ignore no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");

async function runDeno(): Promise<Outcome> {
  const start = performance.now();
  const files = findTests(join(root, "tests"), "_test.ts").map((f) => relative(root, f));
  const { code, out } = await run(bin("deno"), ["test", "-A", "--no-check", ...files]);
  const text = stripAnsi(out);
  const m = text.match(
    /(\d+) passed(?: \((\d+) steps?\))?\s*\|\s*(\d+) failed(?:\s*\|\s*(\d+) ignored)?/g,
  );
  let passed = 0, failed = 0, skipped = 0;
  if (m) {
    const last = m[m.length - 1].match(
      /(\d+) passed.*?\|\s*(\d+) failed(?:\s*\|\s*(\d+) ignored)?/,
    )!;
    const steps = m[m.length - 1].match(/\((\d+) steps?\)/);
    passed = Math.max(Number(last[1]), Number(steps?.[1] ?? 0));
    failed = Number(last[2]);
    skipped = Number(last[3] ?? 0);
  }
  return {
    runtime: "deno",
    passed,
    failed,
    skipped,
    exitCode: code,
    seconds: (performance.now() - start) / 1000,
  };
}

async function runBun(): Promise<Outcome> {
  const start = performance.now();
  const files = findTests(join(root, "tests"), "_test.ts").map((f) => "./" + relative(root, f));
  const { code, out } = await run(bin("bun"), ["test", "--timeout", "120000", ...files]);
  const text = stripAnsi(out);
  return {
    runtime: "bun",
    passed: count(text, [/^\s*(\d+) pass$/gm]),
    failed: count(text, [/^\s*(\d+) fail$/gm]),
    skipped: count(text, [/^\s*(\d+) skip$/gm]),
    exitCode: code,
    seconds: (performance.now() - start) / 1000,
  };
}

async function runNode(): Promise<Outcome> {
  const start = performance.now();
  // A build directory of this run's own, so concurrent runs cannot clash.
  const outDir = `.npm-test-${process.pid}`;
  const build = await run(bin("deno"), ["run", "-A", "scripts/build_npm.ts", "--out", outDir]);
  if (build.code !== 0) {
    return { runtime: "node", passed: 0, failed: 1, skipped: 0, exitCode: build.code, seconds: 0 };
  }
  const files = findTests(join(root, outDir, "tests"), "_test.js").map((f) => relative(root, f));
  const { code, out } = await run("node", ["--test", "--test-reporter=spec", ...files]);
  rmSync(join(root, outDir), { recursive: true, force: true });
  const text = stripAnsi(out);
  return {
    runtime: "node",
    passed: count(text, [/^[ℹ#] pass (\d+)$/gm]),
    failed: count(text, [/^[ℹ#] fail (\d+)$/gm]),
    skipped: count(text, [/^[ℹ#] skipped (\d+)$/gm]),
    exitCode: code,
    seconds: (performance.now() - start) / 1000,
  };
}

const runners: Record<string, () => Promise<Outcome>> = {
  deno: runDeno,
  bun: runBun,
  node: runNode,
};
const outcomes: Outcome[] = [];
for (const name of only) {
  const runner = runners[name];
  if (!runner) throw new Error(`unknown runtime ${name}`);
  console.log(`\n===== ${name} =====`);
  outcomes.push(await runner());
}

console.log("\n===== summary =====");
let ok = true;
let passed = 0, failed = 0, skipped = 0;
for (const o of outcomes) {
  const bad = o.exitCode !== 0 || o.failed > 0 || o.passed === 0;
  if (bad) ok = false;
  passed += o.passed;
  failed += o.failed + (bad && o.failed === 0 ? 1 : 0);
  skipped += o.skipped;
  console.log(
    `${o.runtime.padEnd(5)} ${
      bad ? "FAIL" : "ok  "
    } ${o.passed} passed, ${o.failed} failed, ${o.skipped} skipped` +
      ` (exit ${o.exitCode}, ${o.seconds.toFixed(1)} s)`,
  );
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);

/**
 * Runs the adversarial suite (`tests/reliability/`) on one or more runtimes
 * and prints one summary table: attempts per category and what went wrong
 * (crashes, escapes, lost bytes, leaks).
 *
 * - default: the CI sizes (10,000 fuzz lines, 100 clients × 10 s soak);
 * - `--full`: 100,000 fuzz lines and 500 clients × 60 s
 *   (sets `FTPKIT_RELIABILITY_FULL=1` for the test files).
 *
 * Usage:
 *   deno run -A scripts/reliability.ts [--full] [--runtime deno,bun,node] [--markdown]
 *
 * Node runs the compiled copy in `npm/` (built first with scripts/build_npm.ts).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const args = process.argv.slice(2);
const full = args.includes("--full");
const markdown = args.includes("--markdown");
const runtimeAt = args.indexOf("--runtime");
const runtimes = runtimeAt >= 0 ? args[runtimeAt + 1].split(",") : ["deno", "bun", "node"];

interface Table {
  title: string;
  rows: [string, string | number][];
}

function run(
  cmd: string,
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd: root,
      env: {
        ...process.env,
        PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}`,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const take = (stream: NodeJS.WritableStream) => (chunk: Buffer) => {
      const text = chunk.toString();
      out += text;
      if (out.length > 8_000_000) out = out.slice(-4_000_000);
      stream.write(text);
    };
    child.stdout.on("data", take(process.stdout));
    child.stderr.on("data", take(process.stderr));
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

function testFiles(dir: string, suffix: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => join(dir, f));
}

async function runRuntime(runtime: string): Promise<{ code: number; tables: Table[] }> {
  const env: Record<string, string> = full ? { FTPKIT_RELIABILITY_FULL: "1" } : {};
  let result: { code: number; out: string };
  if (runtime === "deno") {
    const files = testFiles(join(root, "tests", "reliability"), "_test.ts");
    result = await run(bin("deno"), ["test", "-A", "--no-check", ...files], env);
  } else if (runtime === "bun") {
    const files = testFiles(join(root, "tests", "reliability"), "_test.ts");
    result = await run(bin("bun"), ["test", "--timeout", "900000", ...files], env);
  } else if (runtime === "node") {
    const build = await run(bin("deno"), ["run", "-A", "scripts/build_npm.ts"], {});
    if (build.code !== 0) return { code: build.code, tables: [] };
    const files = testFiles(join(root, "npm", "tests", "reliability"), "_test.js");
    result = await run("node", ["--test", "--test-concurrency=1", ...files], env);
  } else {
    throw new Error(`unknown runtime ${runtime}`);
  }
  const tables: Table[] = [];
  for (const m of result.out.matchAll(/\[reliability-json\] (.*)/g)) {
    try {
      tables.push(JSON.parse(m[1]));
    } catch { /* a line cut by interleaved output */ }
  }
  return { code: result.code, tables };
}

const results: { runtime: string; code: number; tables: Table[] }[] = [];
for (const runtime of runtimes) {
  console.log(`\n===== reliability on ${runtime}${full ? " (full)" : ""} =====`);
  results.push({ runtime, ...(await runRuntime(runtime)) });
}

// One table: rows by category title and label, one column per runtime.
const keys: string[] = [];
const cells = new Map<string, Map<string, string>>();
for (const r of results) {
  for (const t of r.tables) {
    for (const [label, value] of t.rows) {
      const key = `${t.title} | ${label}`;
      if (!cells.has(key)) {
        cells.set(key, new Map());
        keys.push(key);
      }
      cells.get(key)!.set(r.runtime, String(value));
    }
  }
}
console.log(`\n===== reliability summary${full ? " (full)" : ""} =====`);
const header = ["category", "measure", ...results.map((r) => r.runtime)];
const lines = keys.map((key) => {
  const [title, label] = key.split(" | ");
  return [title, label.trim(), ...results.map((r) => cells.get(key)!.get(r.runtime) ?? "")];
});
if (markdown) {
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const l of lines) console.log(`| ${l.join(" | ")} |`);
} else {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}
let ok = true;
for (const r of results) {
  const verdict = r.code === 0 ? "ok" : "FAIL";
  if (r.code !== 0) ok = false;
  console.log(`${r.runtime}: ${verdict} (exit ${r.code})`);
}
process.exit(ok ? 0 : 1);

/**
 * Summarises V8 CPU profiles (`.cpuprofile`, as written by `deno run
 * --cpu-prof`, `node --cpu-prof` or `bun --cpu-prof`): the functions with the
 * most self time and the most inclusive time, with file and line, and the
 * share of idle, GC and native time.
 *
 * Usage: `deno run -A bench/profile_summary.ts [--top N] <file.cpuprofile | dir>...`
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/** One node of a V8 CPU profile. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** A V8 CPU profile. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Time of one function in a profile, ms. */
export interface ProfileFunctionTime {
  /** `name (file:line)`. */
  key: string;
  /** Time with this function on top of the stack. */
  selfMs: number;
  /** Time with this function anywhere on the stack. */
  totalMs: number;
}

function frameKey(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || "(anonymous)";
  if (!url) return name;
  const file = url.startsWith("file://") ? relative(root, new URL(url).pathname) : url;
  return `${name} (${file}:${lineNumber + 1})`;
}

/** Self and inclusive time per function of one profile, sorted by self time. */
export function summariseCpuProfile(profile: CpuProfile, root: string): {
  totalMs: number;
  functions: ProfileFunctionTime[];
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const node = byId.get(id);
    if (!node) return;
    const top = frameKey(node, root);
    self.set(top, (self.get(top) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = frameKey(byId.get(at)!, root);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + ms);
    }
  });
  const functions = [...total.keys()].map((key) => ({
    key,
    selfMs: self.get(key) ?? 0,
    totalMs: total.get(key) ?? 0,
  }));
  functions.sort((a, b) => b.selfMs - a.selfMs);
  return { totalMs, functions };
}

/** Readable summary of one profile file: top functions by self and by inclusive time. */
export function cpuProfileSummaryText(file: string, root: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const { totalMs, functions } = summariseCpuProfile(profile, root);
  const pct = (ms: number) => `${(100 * ms / totalMs).toFixed(1).padStart(5)} %`;
  const lines = [`== ${file}: ${totalMs.toFixed(0)} ms sampled`, "-- self time"];
  for (const f of functions.slice(0, top)) {
    lines.push(`${pct(f.selfMs)}  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.key}`);
  }
  lines.push("-- inclusive time (functions with a source location)");
  const inclusive = functions.filter((f) => f.key.includes(":")).sort((a, b) =>
    b.totalMs - a.totalMs
  );
  for (const f of inclusive.slice(0, top)) {
    lines.push(`${pct(f.totalMs)}  ${f.totalMs.toFixed(0).padStart(6)} ms  ${f.key}`);
  }
  return lines.join("\n");
}

/** Every `.cpuprofile` under `dir`, recursively. */
export function findCpuProfiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findCpuProfiles(path));
    else if (entry.name.endsWith(".cpuprofile")) found.push(path);
  }
  return found.sort();
}

function main(): void {
  const args = process.argv.slice(2);
  let top = 25;
  const topAt = args.indexOf("--top");
  if (topAt >= 0) {
    top = Number(args[topAt + 1]);
    args.splice(topAt, 2);
  }
  const root = new URL("..", import.meta.url).pathname;
  const files = args.flatMap((a) => statSync(a).isDirectory() ? findCpuProfiles(a) : [a]);
  for (const file of files) console.log(cpuProfileSummaryText(file, root, top) + "\n");
}

if (import.meta.main) main();

/**
 * What the client scripts of the benchmark share: argument parsing, memory
 * figures from `/proc/self/status`, the JSON result line.
 *
 * Every client script takes `--port N [--host H] <action> [--remote R]
 * [--local L] [--local-dir D] [--files a,b,...]` and prints one JSON object:
 * `seconds` (from connecting to the end of the job), `bytes`, `entries`
 * (listings), `rssBeforeMB` (before the job) and `hwmMB` (peak, after it).
 *
 * @module
 */

import { readFileSync } from "node:fs";

/**
 * Parses `--key value` pairs and one bare action word.
 * @param {string[]} argv
 */
export function parseClientArgs(argv) {
  /** @type {Record<string, string>} */
  const args = { host: "127.0.0.1", user: "anonymous", password: "bench@ftpkit" };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith("--")) args[argv[i].slice(2)] = argv[++i];
    else args.action = argv[i];
  }
  return args;
}

/**
 * `VmRSS` or `VmHWM` of this process in MB.
 * @param {"VmRSS" | "VmHWM"} field
 */
export function statusMB(field) {
  const text = readFileSync("/proc/self/status", "utf8");
  const kib = Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
  return kib * 1024 / 1e6;
}

/**
 * Runs `job` (which connects, works, and returns figures) and prints the result line.
 * @param {() => Promise<{bytes?: number, entries?: number, done?: () => Promise<void>}>} job
 */
export async function reportClientJob(job) {
  const rssBeforeMB = statusMB("VmRSS");
  const start = performance.now();
  try {
    const figures = await job();
    const seconds = (performance.now() - start) / 1000;
    const hwmMB = statusMB("VmHWM");
    await figures.done?.();
    console.log(JSON.stringify({
      seconds,
      bytes: figures.bytes ?? 0,
      entries: figures.entries ?? 0,
      rssBeforeMB,
      hwmMB,
    }));
  } catch (error) {
    console.log(JSON.stringify({ error: String(error?.stack ?? error) }));
    process.exitCode = 1;
  }
}

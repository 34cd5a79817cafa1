/**
 * Peak memory of a benchmarked process from `/proc/<pid>/status` (Linux).
 *
 * For one process, peak = its own high-water mark (`VmHWM`, exact). For a
 * forking server such as vsftpd, whose sessions are separate processes, peak =
 * the largest sampled sum of proportional set sizes (`Pss` in `smaps_rollup`)
 * over the process and its descendants: shared pages are split between the
 * processes sharing them instead of being counted once per process.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";

/** Samples one process (and optionally its descendants) until stopped. */
export class RssSampler {
  #pid: number;
  #withChildren: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #peakTreeKiB = 0;
  #peakHwmKiB = 0;

  /**
   * @param pid process to watch
   * @param withChildren also sum the RSS of its descendants (scans `/proc`, so only for forking servers)
   * @param intervalMs sampling period
   */
  constructor(pid: number, withChildren = false, intervalMs = 50) {
    this.#pid = pid;
    this.#withChildren = withChildren;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample now. */
  sample(): void {
    const own = readStatusKiB(this.#pid);
    if (!own) return;
    this.#peakHwmKiB = Math.max(this.#peakHwmKiB, own.hwm);
    let tree = own.rss;
    if (this.#withChildren) {
      tree = 0;
      for (const pid of [this.#pid, ...descendants(this.#pid)]) tree += readPssKiB(pid);
    }
    this.#peakTreeKiB = Math.max(this.#peakTreeKiB, tree);
  }

  /** Peak so far in MB (10^6 bytes). */
  peakMB(): number {
    const kib = this.#withChildren
      ? this.#peakTreeKiB
      : Math.max(this.#peakTreeKiB, this.#peakHwmKiB);
    return kib * 1024 / 1e6;
  }

  /** Takes a last sample, stops sampling and returns the peak in MB. */
  stop(): number {
    this.sample();
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.peakMB();
  }
}

/** `VmRSS` and `VmHWM` of a process in KiB, or `undefined` when it is gone. */
export function readStatusKiB(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** Proportional set size of a process in KiB (0 when it is gone). */
function readPssKiB(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Exited while scanning.
    }
  }
  const found: number[] = [];
  const wanted = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parentOf) {
      if (wanted.has(ppid) && !wanted.has(pid)) {
        wanted.add(pid);
        found.push(pid);
        grew = true;
      }
    }
  }
  return found;
}

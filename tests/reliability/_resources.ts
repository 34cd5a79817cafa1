/**
 * Resource probes of the adversarial suite: memory samples of this process,
 * open file descriptors of a process (Linux `/proc`), and whether a port can
 * be bound again.
 *
 * @module
 */

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import * as net from "node:net";

const MiB = 1024 * 1024;

/** Samples `process.memoryUsage().rss` every `intervalMs` until stopped. */
export class RssSampler {
  readonly #start: number;
  #peak: number;
  readonly #timer: ReturnType<typeof setInterval>;

  /** @param intervalMs Sampling period (default 100 ms). */
  constructor(intervalMs = 100) {
    this.#start = process.memoryUsage().rss;
    this.#peak = this.#start;
    this.#timer = setInterval(() => {
      this.#peak = Math.max(this.#peak, process.memoryUsage().rss);
    }, intervalMs);
  }

  /** Stop sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Start, peak and current RSS in MiB. */
  summary(): { start: number; peak: number; end: number } {
    const end = process.memoryUsage().rss;
    this.#peak = Math.max(this.#peak, end);
    return {
      start: round(this.#start / MiB),
      peak: round(this.#peak / MiB),
      end: round(end / MiB),
    };
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Open file descriptors of process `pid` (default: this one), or `null` without `/proc`. */
export function openFdCount(pid: number | "self" = "self"): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/** What each open descriptor of process `pid` points at (`socket:[…]`, `anon_inode:[eventfd]`, paths). */
export function openFdTargets(pid: number | "self" = "self"): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "gone";
      }
    });
  } catch {
    return [];
  }
}

/**
 * The inodes of process `pid`'s TCP sockets (from `/proc/<pid>/net/tcp` and
 * `tcp6`), to tell a leaked connection or listener from the Unix sockets and
 * pipes a runtime opens for itself.
 */
export function tcpSocketInodes(pid: number | "self" = "self"): Set<string> {
  const inodes = new Set<string>();
  for (const table of ["tcp", "tcp6"]) {
    try {
      const lines = readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1);
      for (const line of lines) {
        const inode = line.trim().split(/\s+/)[9];
        if (inode && inode !== "0") inodes.add(inode);
      }
    } catch {
      // no such table (no IPv6): nothing to add
    }
  }
  return inodes;
}

/** Whether descriptor target `target` (`socket:[inode]`) is one of `tcpInodes`. */
export function isTcpSocket(target: string, tcpInodes: Set<string>): boolean {
  const m = /^socket:\[(\d+)\]$/.exec(target);
  return m !== null && tcpInodes.has(m[1]);
}

/** Resident memory of process `pid` in MiB from `/proc/<pid>/status`, or `null`. */
export function processRssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Whether `port` on `host` can be bound right now (a released data port can). */
export function canBind(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Poll `check` every 20 ms until it holds or `timeoutMs` passes; returns its last result. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

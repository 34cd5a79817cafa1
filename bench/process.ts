/**
 * Child processes of the benchmark: servers it starts and stops, commands it
 * runs to completion, free loopback ports, and waiting for an FTP greeting.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { connect, createServer } from "node:net";

/** A server (or any long-running child) started by the benchmark. */
export interface BenchProcess {
  /** Process id of the child (leader of its own process group). */
  pid: number;
  /** Last lines the child wrote (stdout and stderr), for error messages. */
  output(): string;
  /** Whether the child has exited. */
  exited(): boolean;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** How to start a child. */
export interface BenchCommand {
  /** Executable. */
  cmd: string;
  /** Arguments. */
  args: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/** Process groups started and not yet reaped, for {@link killAllBenchProcesses}. */
const liveGroups = new Set<number>();

/** SIGKILLs every process group the benchmark started and has not stopped yet (on Ctrl-C). */
export function killAllBenchProcesses(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  liveGroups.clear();
}

/** Starts a child in its own process group, so stopping it also stops what it forked. */
export function startBenchProcess(command: BenchCommand): BenchProcess {
  const child: ChildProcess = spawn(command.cmd, command.args, {
    cwd: command.cwd,
    env: { ...process.env, ...command.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let hasExited = false;
  if (child.pid) liveGroups.add(child.pid);
  const exit = new Promise<void>((resolve) => {
    child.on("exit", () => {
      hasExited = true;
      // "close" comes once the pipes are drained too (its last words explain a failed start);
      // a grandchild holding them open must not hold this up for long.
      setTimeout(resolve, 2000);
    });
    child.on("close", () => {
      hasExited = true;
      resolve();
    });
    child.on("error", (error) => {
      tail += `\nspawn failed: ${error.message}`;
      hasExited = true;
      resolve();
    });
  });
  return {
    pid: child.pid ?? -1,
    output: () => tail,
    exited: () => hasExited,
    async stop(graceMs = 3000) {
      if (hasExited || child.pid === undefined) return;
      signalGroup(child.pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(child.pid!, "SIGKILL"), graceMs);
      // A lost exit event must not hang the whole run.
      await Promise.race([exit, new Promise((r) => setTimeout(r, graceMs + 5000))]);
      clearTimeout(timer);
      // Forked session processes (vsftpd) may outlive the leader briefly.
      signalGroup(child.pid, "SIGKILL");
      liveGroups.delete(child.pid);
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Outcome of a command run to completion. */
export interface BenchRunResult {
  /** Exit code (or 1 when killed by the time limit). */
  code: number;
  /** Whole stdout. */
  stdout: string;
  /** Last 4000 characters of stderr. */
  stderr: string;
  /** Whether the time limit killed it. */
  timedOut: boolean;
}

/**
 * Runs a command to completion, killing its process group after `timeoutMs`.
 * `onStart` receives the pid (to sample its memory).
 */
export function runBenchCommand(
  command: BenchCommand,
  timeoutMs: number,
  onStart?: (pid: number) => void,
): Promise<BenchRunResult> {
  return new Promise((resolve) => {
    const child = spawn(command.cmd, command.args, {
      cwd: command.cwd,
      env: { ...process.env, ...command.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (c: Buffer) => stdout += c.toString());
    child.stderr.on("data", (c: Buffer) => stderr = (stderr + c.toString()).slice(-4000));
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid) signalGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    if (child.pid) liveGroups.add(child.pid);
    if (child.pid && onStart) onStart(child.pid);
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.pid) liveGroups.delete(child.pid);
      resolve({ code: timedOut ? 1 : code ?? 1, stdout, stderr, timedOut });
    };
    child.on("error", (error) => {
      stderr += error.message;
      finish(127);
    });
    child.on("close", (code) => finish(code));
    // "close" waits for the pipes; should it never come, "exit" plus a moment for the last output does.
    child.on("exit", (code) => setTimeout(() => finish(code), 2000));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read, close). */
export function freeBenchPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts an FTP server on a free port and waits for its greeting. A port found
 * free can be taken by someone else (another server's passive port) before the
 * server binds it; then it starts again on another port, up to `attempts` times.
 */
export async function startFtpServerOnFreePort(
  command: (port: number) => BenchCommand,
  attempts = 3,
): Promise<{ server: BenchProcess; port: number }> {
  for (let attempt = 1;; attempt++) {
    const port = await freeBenchPort();
    const server = startBenchProcess(command(port));
    try {
      await waitForFtpGreeting(port, 30_000, () => !server.exited());
      return { server, port };
    } catch (error) {
      await server.stop();
      // vsftpd reports on fd 0, which is /dev/null here: a silent exit may be a lost port too.
      const lostPort = /EADDRINUSE|address already in use/i.test(server.output()) ||
        (server.exited() && server.output().trim() === "");
      if (!lostPort || attempt >= attempts) {
        throw new Error(`${(error as Error).message}: ${server.output().trim().slice(-300)}`);
      }
    }
  }
}

/**
 * Waits until an FTP server on 127.0.0.1:`port` sends a `220` greeting.
 * Rejects after `timeoutMs` or when `alive()` turns false.
 */
export async function waitForFtpGreeting(
  port: number,
  timeoutMs: number,
  alive: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error("server exited before it greeted");
    if (await greets(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no FTP greeting on port ${port} within ${timeoutMs} ms`);
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    let answered = false;
    const done = (ok: boolean) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 2000);
    socket.on("error", () => done(false));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
      if (/^220 /m.test(text)) {
        socket.write("QUIT\r\n");
        done(true);
      }
    });
  });
}

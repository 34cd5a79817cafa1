/**
 * Helpers of the CLI tests: the command that runs `cli.ts` (or the compiled
 * `npm/cli.js` under Node) on the current runtime, a server to run it
 * against, and a process runner with a time limit.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import type { ServerOptions } from "../../server/options.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { concat, RUNTIME } from "../_helpers.ts";

/** The compiled tests run from `npm/tests/`, next to `npm/cli.js`. */
const compiled = import.meta.url.endsWith(".js");

/** Path of the CLI entry this runtime runs. */
export const CLI_PATH: string = fileURLToPath(
  new URL(compiled ? "../../cli.js" : "../../cli.ts", import.meta.url),
);

/** Program and leading arguments that run the CLI on the current runtime. */
export function cliInvocation(): [string, string[]] {
  return RUNTIME === "deno"
    ? [process.execPath, ["run", "-A", "--no-check", CLI_PATH]]
    : [process.execPath, [CLI_PATH]];
}

/** A server on a free loopback port with user `u` / password `p` and a memory file system. */
export interface CliTestServer {
  server: Server;
  io: MemoryPathIO;
  port: number;
  /** `ftp://u:p@127.0.0.1:PORT` (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

/** Start a {@linkcode CliTestServer}. */
export async function startCliTestServer(
  options: Partial<ServerOptions> = {},
): Promise<CliTestServer> {
  const io = new MemoryPathIO();
  const server = new Server({
    pathIO: io,
    users: [new User({ login: "u", password: "p" })],
    failedLoginDelay: 10,
    ...options,
  });
  const { port } = await server.start("127.0.0.1", 0);
  return { server, io, port, url: `ftp://u:p@127.0.0.1:${port}`, close: () => server.close() };
}

/** Put a file into the server's memory file system. */
export async function putFile(io: MemoryPathIO, path: string, data: Uint8Array): Promise<void> {
  const parentDir = path.slice(0, path.lastIndexOf("/"));
  if (parentDir) await io.mkdir(parentDir, { parents: true, existOk: true });
  const handle = await io.open(path, "write");
  await handle.write(data);
  await handle.close();
}

/** Read a file from the server's memory file system. */
export async function getFile(io: MemoryPathIO, path: string): Promise<Uint8Array> {
  const handle = await io.open(path, "read");
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await handle.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  await handle.close();
  return concat(chunks);
}

/** What a finished CLI run printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Standard input. */
  input?: Uint8Array;
  /** Kill after this long (default 30 s). */
  timeoutMs?: number;
}

/** Run `program args` without a shell, pipes for all three streams (so no terminal). */
export function runProgram(
  program: string,
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Uint8Array) => stdout += new TextDecoder().decode(c));
    child.stderr.on("data", (c: Uint8Array) => stderr += new TextDecoder().decode(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(options.input ?? new Uint8Array(0));
  });
}

/** Run the CLI with `args` (no terminal). */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliRun> {
  const [program, leading] = cliInvocation();
  return runProgram(program, [...leading, ...args], options);
}

/** Quote `word` for `sh`. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

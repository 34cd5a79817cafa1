/**
 * Shared set-up of the server tests: a server on a free loopback port,
 * spawning third-party clients, and locating fixtures.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Server } from "../../server/server.ts";
import type { ServerOptions } from "../../server/options.ts";
import { User } from "../../server/user.ts";

/** A started server and its storage. */
export interface TestServer {
  server: Server;
  port: number;
  io: MemoryPathIO;
  /** `ftp://user:pass@127.0.0.1:port` */
  url: string;
  close: () => Promise<void>;
}

/** Start a server on `host` with a `MemoryPathIO` and user `u`/`p` (full rights) unless overridden. */
export async function startServer(
  options: Partial<ServerOptions> = {},
  host = "127.0.0.1",
): Promise<TestServer> {
  const io = new MemoryPathIO({ atomicWrites: false });
  const server = new Server({
    pathIO: io,
    users: [new User({ login: "u", password: "p" })],
    failedLoginDelay: 10,
    ...options,
  });
  const { port } = await server.start(host, 0);
  return {
    server,
    port,
    io: (options.pathIO as MemoryPathIO | undefined) ?? io,
    url: `ftp://u:p@127.0.0.1:${port}`,
    close: () => server.close(),
  };
}

/** Result of {@linkcode runProcess}. */
export interface ProcessResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Run a program without a shell, with a hard time limit; never throws for a non-zero exit. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: Uint8Array; env?: Record<string, string> } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    const out: Uint8Array[] = [];
    let err = "";
    child.stdout.on("data", (c: Uint8Array) => out.push(c));
    child.stderr.on("data", (c: Uint8Array) => err += new TextDecoder().decode(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: new Uint8Array(Buffer.concat(out)), stderr: err });
    });
    child.stdin.end(options.input ?? new Uint8Array(0));
  });
}

/** The Debian Python, which has ftplib's TLS support and the peers' modules. */
export const PYTHON: string = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

/** Absolute path of a file in `tests/fixtures/`. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Absolute path of a file next to the server tests (python scripts). */
export function serverTestFile(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/** Write `data` into `io` at `path`, creating parents. */
export async function putFile(io: MemoryPathIO, path: string, data: Uint8Array): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  await io.mkdir(dir, { parents: true, existOk: true });
  const handle = await io.open(path, "write");
  await handle.write(data);
  await handle.close();
}

/** Read a whole file from `io`. */
export async function getFile(io: MemoryPathIO, path: string): Promise<Uint8Array> {
  const handle = await io.open(path, "read");
  const parts: Uint8Array[] = [];
  while (true) {
    const buffer = new Uint8Array(64 * 1024);
    const n = await handle.read(buffer);
    if (n === null) break;
    parts.push(buffer.slice(0, n));
  }
  await handle.close();
  return new Uint8Array(Buffer.concat(parts));
}

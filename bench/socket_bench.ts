/**
 * Loopback throughput of the socket adapters, each as a ratio of the raw
 * socket API of the same runtime measured in the same run.
 *
 * One connection per run; a sender process writes `--mib` MiB (default
 * 2048) in 1 MiB writes, then closes; the receiver (this process) counts the
 * bytes and times accept-to-EOF. Both ends use the same variant:
 *
 * - `raw`: the runtime's own API without Web Streams (Deno `conn.read` /
 *   `conn.write` with a reused buffer, Bun `Bun.listen` / `Bun.connect`
 *   handlers, `node:net` `'data'` events and `write` + `'drain'`);
 * - each adapter the runtime can run: `writer.write()` of 1 MiB chunks and a
 *   default reader (as `pipeTo` consumes), plus a BYOB reader for Deno's byte
 *   stream.
 *
 * Three runs per cell, taken round-robin across the variants; median. The
 * CPU seconds per GiB of the receiving and the sending process are printed
 * too: on a shared machine they are steadier than the throughput. Run with:
 *
 * - `deno run -A bench/socket_bench.ts [--mib N] [--runs N]`
 * - `bun bench/socket_bench.ts`
 * - `deno run -A bench/socket_bench.ts --all`: all three runtimes, Node on a
 *   tsc-compiled copy in `.tmp/socket-bench/`.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SocketAdapter } from "../streams/connection.ts";
import { bunSocketAdapter } from "../streams/adapters/bun/mod.ts";
import { denoSocketAdapter } from "../streams/adapters/deno/mod.ts";
import { nodeSocketAdapter } from "../streams/adapters/node/mod.ts";
import type { DenoApi } from "../streams/adapters/deno/deno_api.ts";

const CHUNK = 1024 * 1024;
const host = globalThis as unknown as { Deno?: DenoApi; Bun?: BunRaw };
const runtime = host.Deno ? "deno" : host.Bun ? "bun" : "node";

/** The members of `Bun` the raw variant needs. */
interface BunRawSocket {
  write(data: Uint8Array): number;
  end(): void;
}
interface BunRaw {
  listen(options: {
    hostname: string;
    port: number;
    socket: {
      data(s: BunRawSocket, d: Uint8Array): void;
      open?(s: BunRawSocket): void;
      close?(s: BunRawSocket): void;
      end?(s: BunRawSocket): void;
    };
  }): { port: number; stop(force?: boolean): void };
  connect(options: {
    hostname: string;
    port: number;
    socket: {
      data(): void;
      drain?(s: BunRawSocket): void;
    };
  }): Promise<BunRawSocket>;
}

function arg(name: string, fallback: string): string {
  const args = process.argv;
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
}

const adapters: Record<string, SocketAdapter> = {
  deno: denoSocketAdapter,
  bun: bunSocketAdapter,
  node: nodeSocketAdapter,
};

/** Variants this runtime can run. */
function variants(): string[] {
  if (runtime === "deno") return ["raw", "deno", "deno-byob", "node"];
  if (runtime === "bun") return ["raw", "bun", "node"];
  return ["raw", "node"];
}

// ---------- senders (child process) ----------

async function send(variant: string, port: number, total: number): Promise<void> {
  const chunk = new Uint8Array(CHUNK).fill(0x61);
  const count = Math.ceil(total / CHUNK);
  if (variant === "raw") return sendRaw(port, chunk, count);
  const adapter = adapters[variant.replace("-byob", "")];
  const conn = await adapter.connect({ hostname: "127.0.0.1", port });
  const writer = conn.writable.getWriter();
  for (let i = 0; i < count; i++) await writer.write(chunk);
  await writer.close();
  // Wait for the receiver to hang up, so that nothing is cut short.
  await conn.readable.pipeTo(new WritableStream()).catch(() => {});
  conn.close();
}

async function sendRaw(port: number, chunk: Uint8Array, count: number): Promise<void> {
  if (host.Deno) {
    const conn = await host.Deno.connect({ hostname: "127.0.0.1", port });
    for (let i = 0; i < count; i++) {
      let written = 0;
      while (written < chunk.byteLength) written += await conn.write(chunk.subarray(written));
    }
    conn.close();
    return;
  }
  if (host.Bun) {
    let left = count;
    let rest: Uint8Array | undefined;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => done = resolve);
    const pump = (s: BunRawSocket) => {
      while (true) {
        if (!rest) {
          if (left === 0) {
            s.end();
            done();
            return;
          }
          left--;
          rest = chunk;
        }
        const n = s.write(rest);
        if (n < rest.byteLength) {
          rest = n > 0 ? rest.subarray(n) : rest;
          return; // resumed by drain
        }
        rest = undefined;
      }
    };
    const socket = await host.Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data() {}, drain: pump },
    });
    pump(socket);
    return finished;
  }
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise((resolve) => socket.once("connect", resolve));
  for (let i = 0; i < count; i++) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
}

// ---------- receivers (this process) ----------

interface Receiver {
  port: number;
  /** Bytes and seconds from accept to EOF of the next connection. */
  result: Promise<{ bytes: number; seconds: number }>;
  stop(): void;
}

async function receive(variant: string): Promise<Receiver> {
  if (variant === "raw") return receiveRaw();
  const adapter = adapters[variant.replace("-byob", "")];
  const listener = await adapter.listen({ hostname: "127.0.0.1", port: 0 });
  const result = (async () => {
    const conn = await listener.accept();
    const start = performance.now();
    let bytes = 0;
    if (variant.endsWith("-byob")) {
      const reader = conn.readable.getReader({ mode: "byob" });
      let buffer = new Uint8Array(CHUNK);
      while (true) {
        const { done, value } = await reader.read(buffer);
        if (done) break;
        bytes += value.byteLength;
        buffer = new Uint8Array(value.buffer);
      }
    } else {
      const reader = conn.readable.getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
      }
    }
    const seconds = (performance.now() - start) / 1000;
    conn.close();
    return { bytes, seconds };
  })();
  return { port: listener.address.port, result, stop: () => listener.close() };
}

function receiveRaw(): Promise<Receiver> {
  if (host.Deno) {
    const deno = host.Deno;
    const listener = deno.listen({ hostname: "127.0.0.1", port: 0 });
    const result = (async () => {
      const conn = await listener.accept();
      const start = performance.now();
      const buffer = new Uint8Array(CHUNK);
      let bytes = 0;
      while (true) {
        const n = await conn.read(buffer);
        if (n === null) break;
        bytes += n;
      }
      const seconds = (performance.now() - start) / 1000;
      conn.close();
      return { bytes, seconds };
    })();
    return Promise.resolve({
      port: listener.addr.port,
      result,
      stop: () => listener.close(),
    });
  }
  if (host.Bun) {
    let start = 0;
    let bytes = 0;
    let finish!: (r: { bytes: number; seconds: number }) => void;
    const result = new Promise<{ bytes: number; seconds: number }>((r) => finish = r);
    const done = () => finish({ bytes, seconds: (performance.now() - start) / 1000 });
    const server = host.Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open() {
          start = performance.now();
        },
        data(_s, d) {
          bytes += d.byteLength;
        },
        end: done,
        close: done,
      },
    });
    return Promise.resolve({ port: server.port, result, stop: () => server.stop(true) });
  }
  return new Promise((resolveReceiver) => {
    let finish!: (r: { bytes: number; seconds: number }) => void;
    const result = new Promise<{ bytes: number; seconds: number }>((r) => finish = r);
    const server = net.createServer((socket) => {
      const start = performance.now();
      let bytes = 0;
      socket.on("data", (d: Buffer) => bytes += d.byteLength);
      socket.on("end", () => {
        finish({ bytes, seconds: (performance.now() - start) / 1000 });
        socket.destroy();
      });
    });
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      resolveReceiver({ port, result, stop: () => server.close() });
    });
  });
}

// ---------- driver ----------

/** Command that runs this script again on the current runtime. */
function selfCommand(): { cmd: string; args: string[] } {
  const script = fileURLToPath(import.meta.url);
  if (runtime === "deno") return { cmd: process.execPath, args: ["run", "-A", script] };
  return { cmd: process.execPath, args: [script] };
}

/** One run's figures. */
interface CellResult {
  /** Throughput, MB/s. */
  mbs: number;
  /** The receiving process's CPU seconds per GiB. */
  cpu: number;
  /** The sending process's CPU seconds per GiB. */
  sendCpu: number;
}

/** One run of `variant`. */
async function runCell(variant: string, total: number): Promise<CellResult> {
  const receiver = await receive(variant);
  const { cmd, args } = selfCommand();
  const child = spawn(cmd, [
    ...args,
    "--send",
    variant,
    "--port",
    String(receiver.port),
    "--bytes",
    String(total),
  ], { stdio: ["ignore", "pipe", "inherit"] });
  let senderOutput = "";
  child.stdout!.on("data", (d) => senderOutput += d);
  const exited = new Promise<number>((resolve) => child.once("close", (c) => resolve(c ?? 1)));
  const cpuBefore = process.cpuUsage();
  try {
    const { bytes, seconds } = await receiver.result;
    const cpu = process.cpuUsage(cpuBefore);
    if (bytes !== total) throw new Error(`${variant}: received ${bytes} of ${total} bytes`);
    if ((await exited) !== 0) throw new Error(`${variant}: sender failed`);
    const sendCpu = Number(senderOutput.match(/sender-cpu ([\d.]+)/)?.[1] ?? NaN);
    return {
      mbs: bytes / 1e6 / seconds,
      cpu: (cpu.user + cpu.system) / 1e6 / (bytes / 2 ** 30),
      sendCpu,
    };
  } finally {
    receiver.stop();
    child.kill();
  }
}

function runtimeVersion(): string {
  const versions = globalThis as unknown as { Deno?: { version: { deno: string } } };
  if (versions.Deno) return `deno ${versions.Deno.version.deno}`;
  const bun = (globalThis as unknown as { Bun?: { version: string } }).Bun;
  if (bun) return `bun ${bun.version}`;
  return `node ${process.version}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measureThisRuntime(): Promise<void> {
  const total = Number(arg("mib", "2048")) * CHUNK;
  const runs = Number(arg("runs", "3"));
  const names = variants();
  const results = new Map<string, CellResult[]>(names.map((n) => [n, []]));
  // Round-robin, so that load changes on a shared machine hit every variant alike.
  for (let i = 0; i < runs; i++) {
    for (const variant of names) results.get(variant)!.push(await runCell(variant, total));
  }
  const raw = median(results.get("raw")!.map((r) => r.mbs));
  console.log(`\n${runtimeVersion()}: ${total / CHUNK} MiB per run, 1 MiB writes, ${runs} runs`);
  console.log(
    "| runtime | variant | MB/s (median) | runs, MB/s | % of raw | CPU s/GiB receiver, sender |",
  );
  console.log("|---|---|---|---|---|---|");
  for (const variant of names) {
    const rows = results.get(variant)!;
    const mbs = median(rows.map((r) => r.mbs));
    console.log(
      `| ${runtime} | ${variant} | ${mbs.toFixed(0)} | ${
        rows.map((r) => r.mbs.toFixed(0)).join(", ")
      } | ${(mbs / raw * 100).toFixed(0)} % | ${median(rows.map((r) => r.cpu)).toFixed(2)}, ${
        median(rows.map((r) => r.sendCpu)).toFixed(2)
      } |`,
    );
  }
}

/** Compiles this script for Node into `.tmp/socket-bench/` and runs it on all three runtimes. */
function runAll(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const bin = (name: string) => join(root, "node_modules", ".bin", name);
  const out = join(root, ".tmp", "socket-bench");
  mkdirSync(out, { recursive: true });
  const tsconfig = join(out, "tsconfig.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(root, "tsconfig.npm.json"),
      compilerOptions: { outDir: join(out, "js"), rootDir: root, declaration: false },
      include: [join(root, "bench", "socket_bench.ts")],
      exclude: [],
    }),
  );
  const passOn = process.argv.slice(2).filter((a) => a !== "--all");
  const steps: [string, string[]][] = [
    [bin("deno"), ["run", "-A", join(root, "bench", "socket_bench.ts"), ...passOn]],
    [bin("bun"), [join(root, "bench", "socket_bench.ts"), ...passOn]],
    [bin("tsc"), ["-p", tsconfig]],
    ["node", [join(out, "js", "bench", "socket_bench.js"), ...passOn]],
  ];
  for (const [cmd, args] of steps) {
    const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
    if (result.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed`);
  }
}

if (process.argv.includes("--send")) {
  const bytes = Number(arg("bytes", "0"));
  const cpuBefore = process.cpuUsage();
  await send(arg("send", "raw"), Number(arg("port", "0")), bytes);
  const cpu = process.cpuUsage(cpuBefore);
  // The receiver reads this line: the sender's CPU seconds per GiB.
  console.log(`sender-cpu ${(cpu.user + cpu.system) / 1e6 / (bytes / 2 ** 30)}`);
  process.exit(0);
} else if (process.argv.includes("--all")) {
  runAll();
} else {
  await measureThisRuntime();
  process.exit(0);
}

/**
 * Storage benchmark.
 *
 * 1. Throughput: FsPathIO writing, reading and copying a 256 MiB file through
 *    `fileWritable` / `fileReadable`, as a ratio of the same runtime's raw
 *    `node:fs` FileHandle loop (one reused buffer, same chunk size) measured
 *    side by side in the same run (median of `--repeats`). Reading is also
 *    compared with a raw loop that allocates a fresh buffer per chunk, as
 *    `fileReadable` must (its chunks go to sockets). On Deno and Bun the
 *    runtime's native file API is measured too, as the reference for choosing
 *    `node:fs`.
 * 2. Constant memory: a 1 GiB file written and read back through each
 *    backend's streams; prints the peak RSS growth (for MemoryPathIO beyond
 *    the file's own 1 GiB) and checks it against `--tolerance-mib`.
 *
 * Usage:
 * - one runtime: `deno run -A bench/pathio_bench.ts` or `bun bench/pathio_bench.ts`
 * - all three (Node runs a tsc build in `.tmp/pathio-bench/`):
 *   `deno run -A bench/pathio_bench.ts --all`
 *
 * Options: `--size-mib 256`, `--chunk-kib 64`, `--repeats 3`,
 * `--memory-mib 1024` (0 skips the memory check), `--tolerance-mib 128`,
 * `--dir <dir>` (default: the OS temp directory).
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fileReadable, fileWritable, FsPathIO, MemoryPathIO, type PathIO } from "../pathio/mod.ts";

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const SIZE = option("size-mib", 256) * MiB;
const CHUNK = option("chunk-kib", 64) * 1024;
const REPEATS = option("repeats", 3);
const MEMORY_SIZE = option("memory-mib", 1024) * MiB;
const TOLERANCE = option("tolerance-mib", 128) * MiB;
const dirAt = args.indexOf("--dir");
const BASE_DIR = dirAt >= 0 ? args[dirAt + 1] : tmpdir();
const RUNTIME = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

if (args.includes("--all")) {
  runAll();
} else {
  await runHere();
}

/** Re-run this file on Deno, Bun and Node (via a tsc build), one after the other. */
function runAll(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  const bin = (name: string) => join(root, "node_modules", ".bin", name);
  const rest = args.filter((a) => a !== "--all");
  const self = join(root, "bench", "pathio_bench.ts");
  const outDir = join(root, ".tmp", "pathio-bench");
  const build = spawnSync(bin("tsc"), [
    "--outDir",
    outDir,
    "--rootDir",
    root,
    "--module",
    "NodeNext",
    "--moduleResolution",
    "NodeNext",
    "--target",
    "ES2022",
    "--rewriteRelativeImportExtensions",
    "--skipLibCheck",
    "--types",
    "node",
    "--lib",
    "ES2023,DOM,DOM.Iterable",
    self,
  ], { stdio: "inherit" });
  const runs: [string, string[]][] = [
    [bin("deno"), ["run", "-A", self, ...rest]],
    [bin("bun"), [self, ...rest]],
  ];
  if (build.status === 0) runs.push(["node", [join(outDir, "bench", "pathio_bench.js"), ...rest]]);
  else console.error("tsc build for Node failed; skipping Node");
  for (const [cmd, argv] of runs) spawnSync(cmd, argv, { stdio: "inherit" });
}

async function runHere(): Promise<void> {
  const work = await fs.mkdtemp(join(BASE_DIR, "ftpkit-pathio-bench-"));
  try {
    console.log(
      `\n== ${RUNTIME}: ${SIZE / MiB} MiB file, ${CHUNK / 1024} KiB chunks, median of ${REPEATS}`,
    );
    // Memory first, from the fresh process's RSS; the throughput runs would pre-grow the heap.
    if (MEMORY_SIZE > 0) {
      await memoryCheck("FsPathIO", new FsPathIO({ root: work }), 0);
      await memoryCheck("MemoryPathIO", new MemoryPathIO(), MEMORY_SIZE);
    }
    await throughput(work);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** A reusable block of non-trivial bytes. */
function block(): Uint8Array {
  const out = new Uint8Array(CHUNK);
  for (let i = 0; i < out.length; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}

/** `total` bytes as a stream of `data` views: no copying on the producer side. */
function source(total: number, data: Uint8Array): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(data.byteLength, total - sent);
      controller.enqueue(n === data.byteLength ? data : data.subarray(0, n));
      sent += n;
    },
  }, { highWaterMark: 0 });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

async function rawWrite(path: string, data: Uint8Array): Promise<void> {
  const handle = await fs.open(path, "w");
  try {
    for (let at = 0; at < SIZE;) {
      const n = Math.min(data.byteLength, SIZE - at);
      at += (await handle.write(data, 0, n, at)).bytesWritten;
    }
  } finally {
    await handle.close();
  }
}

/** `fresh`: a new buffer per chunk, as a stream handed to a socket needs. */
async function rawRead(path: string, fresh: boolean): Promise<number> {
  const handle = await fs.open(path, "r");
  const reused = new Uint8Array(CHUNK);
  let at = 0;
  try {
    for (;;) {
      const buffer = fresh ? new Uint8Array(CHUNK) : reused;
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, at);
      if (bytesRead === 0) return at;
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

async function rawCopy(from: string, to: string): Promise<void> {
  const input = await fs.open(from, "r");
  const output = await fs.open(to, "w");
  const buffer = new Uint8Array(CHUNK);
  try {
    for (let at = 0;;) {
      const { bytesRead } = await input.read(buffer, 0, CHUNK, at);
      if (bytesRead === 0) break;
      for (let done = 0; done < bytesRead;) {
        done += (await output.write(buffer, done, bytesRead - done, at + done)).bytesWritten;
      }
      at += bytesRead;
    }
  } finally {
    await input.close();
    await output.close();
  }
}

/** Native references (not used by FsPathIO; measured to justify that choice). */
function nativeCases(dir: string, data: Uint8Array): [string, () => Promise<unknown>][] {
  const g = globalThis as Record<string, unknown>;
  const path = join(dir, "native.bin");
  if (RUNTIME === "deno") {
    const Deno = g.Deno as {
      open(p: string, o?: Record<string, boolean>): Promise<{
        read(b: Uint8Array): Promise<number | null>;
        write(b: Uint8Array): Promise<number>;
        close(): void;
      }>;
    };
    return [
      ["native Deno.open write", async () => {
        const file = await Deno.open(path, { write: true, create: true, truncate: true });
        for (let at = 0; at < SIZE;) {
          at += await file.write(data.subarray(0, Math.min(CHUNK, SIZE - at)));
        }
        file.close();
      }],
      ["native Deno.open read", async () => {
        const file = await Deno.open(path);
        const buffer = new Uint8Array(CHUNK);
        while ((await file.read(buffer)) !== null);
        file.close();
      }],
    ];
  }
  if (RUNTIME === "bun") {
    const Bun = g.Bun as {
      file(p: string): {
        writer(): {
          write(b: Uint8Array): number;
          flush(): number | Promise<number>;
          end(): unknown;
        };
        stream(): ReadableStream<Uint8Array>;
      };
    };
    return [
      ["native Bun.file writer", async () => {
        const writer = Bun.file(path).writer();
        for (let at = 0; at < SIZE; at += CHUNK) {
          writer.write(data);
          await writer.flush();
        }
        await writer.end();
      }],
      ["native Bun.file stream read", () => drain(Bun.file(path).stream())],
    ];
  }
  return [];
}

async function throughput(dir: string): Promise<void> {
  const data = block();
  const io = new FsPathIO({ root: dir, timeoutMs: 60_000 });
  const rawFile = join(dir, "raw.bin");
  const rawCopyFile = join(dir, "raw-copy.bin");
  const cases: [string, () => Promise<unknown>][] = [
    ["raw write", () => rawWrite(rawFile, data)],
    ["FsPathIO write", async () => {
      await source(SIZE, data).pipeTo(fileWritable(await io.open("/fs.bin", "write")));
    }],
    ["raw read", () => rawRead(rawFile, false)],
    ["raw read, fresh buffers", () => rawRead(rawFile, true)],
    ["FsPathIO read", async () => {
      const n = await drain(fileReadable(await io.open("/fs.bin", "read"), { chunkSize: CHUNK }));
      if (n !== SIZE) throw new Error(`read ${n} bytes`);
    }],
    ["raw copy", () => rawCopy(rawFile, rawCopyFile)],
    ["FsPathIO copy", async () => {
      const from = fileReadable(await io.open("/fs.bin", "read"), { chunkSize: CHUNK });
      await from.pipeTo(fileWritable(await io.open("/fs-copy.bin", "write")));
    }],
    ...nativeCases(dir, data),
  ];
  const times = new Map<string, number[]>();
  for (const [, run] of cases) await run(); // warm-up: page cache, JIT
  for (let round = 0; round < REPEATS; round++) {
    for (const [name, run] of cases) {
      const started = performance.now();
      await run();
      const list = times.get(name) ?? [];
      list.push(performance.now() - started);
      times.set(name, list);
    }
  }
  const median = (name: string) => {
    const sorted = [...times.get(name)!].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  };
  const rate = (ms: number) => `${(SIZE / 1e6 / (ms / 1000)).toFixed(0).padStart(6)} MB/s`;
  for (const [name] of cases) console.log(`${name.padEnd(28)} ${rate(median(name))}`);
  for (const what of ["write", "read", "copy"]) {
    const ratio = median(`raw ${what}`) / median(`FsPathIO ${what}`);
    console.log(
      `RATIO ${RUNTIME} FsPathIO ${what} / raw node:fs ${what}: ${(ratio * 100).toFixed(0)}%`,
    );
  }
  const freshRatio = median("raw read, fresh buffers") / median("FsPathIO read");
  console.log(
    `RATIO ${RUNTIME} FsPathIO read / raw node:fs read with fresh buffers: ${
      (freshRatio * 100).toFixed(0)
    }%`,
  );
}

/**
 * Writes then reads back `MEMORY_SIZE` bytes, sampling RSS every 10 ms, and
 * reports each phase's peak growth over the starting RSS (minus `ownBytes`,
 * the file itself for MemoryPathIO).
 */
async function memoryCheck(name: string, io: PathIO, ownBytes: number): Promise<void> {
  const data = block();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const phase = () => {
    const growth = Math.max(peak, process.memoryUsage().rss) - base - ownBytes;
    peak = base;
    return growth;
  };
  const started = performance.now();
  let writeGrowth: number, readGrowth: number;
  try {
    await source(MEMORY_SIZE, data).pipeTo(fileWritable(await io.open("/huge.bin", "write")));
    writeGrowth = phase();
    const n = await drain(fileReadable(await io.open("/huge.bin", "read"), { chunkSize: CHUNK }));
    if (n !== MEMORY_SIZE) throw new Error(`read back ${n} bytes`);
    readGrowth = phase();
    await io.unlink("/huge.bin");
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const verdict = (growth: number) =>
    `${(growth / MiB).toFixed(1)} MiB ${growth <= TOLERANCE ? "PASS" : "FAIL"}`;
  console.log(
    `MEMORY ${RUNTIME} ${name}: ${MEMORY_SIZE / MiB} MiB in ${seconds.toFixed(1)} s;` +
      ` peak RSS growth${ownBytes ? " beyond the file" : ""} (limit ${TOLERANCE / MiB} MiB):` +
      ` write ${verdict(writeGrowth)}, read ${verdict(readGrowth)}`,
  );
  if (writeGrowth > TOLERANCE || readGrowth > TOLERANCE) process.exitCode = 1;
}

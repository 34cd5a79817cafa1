/**
 * Shared test helpers: TLS fixtures, hashing, data generators, runtime name.
 * Tests use only `node:test` and `node:assert/strict` so the same files run
 * under `deno test`, `bun test` and `node --test`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerTlsOptions } from "../streams/connection.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** CA certificate that signed the test server certificate. */
export const CA_PEM: string = fixture("ca.pem");
/** Server TLS options (leaf for localhost / 127.0.0.1 / ::1). */
export const SERVER_TLS: ServerTlsOptions = {
  cert: fixture("server.pem"),
  key: fixture("server.key"),
};

/** Which runtime runs the tests. */
export const RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** Hex SHA-256 of `data`. */
export async function sha256(data: Uint8Array | ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Incremental hashing of a stream without holding it in memory (hex SHA-256). */
export async function sha256Stream(
  stream: ReadableStream<Uint8Array>,
): Promise<{ hex: string; bytes: number }> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { hex: hash.digest("hex"), bytes };
}

/**
 * Deterministic pseudo-random bytes (xorshift), fast and reproducible, so a
 * sender and a checker can agree on content without storing it.
 */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  const view = new Uint32Array(out.buffer, 0, Math.floor(length / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < view.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    view[i] = x >>> 0;
  }
  for (let i = view.length * 4; i < length; i++) out[i] = i & 0xff;
  return out;
}

/** A stream of `total` pseudo-random bytes in `chunkSize` chunks (fresh buffer per chunk). */
export function pseudoRandomStream(
  total: number,
  chunkSize = 64 * 1024,
  seed = 1,
): ReadableStream<Uint8Array> {
  const block = pseudoRandomBytes(chunkSize, seed);
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const n = Math.min(chunkSize, total - sent);
      controller.enqueue(block.slice(0, n));
      sent += n;
    },
  }, { highWaterMark: 0 });
}

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(
  prefix = "ftpkit-",
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Concatenate chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Read a whole stream into memory (small data only). */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
  return concat(chunks);
}

/** Sleep. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A stream that yields `parts` (strings UTF-8 encoded) one chunk each, then ends. */
export function streamOf(...parts: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const chunks = parts.map((p) => typeof p === "string" ? enc.encode(p) : p);
  return new ReadableStream({
    pull(c) {
      const next = chunks.shift();
      if (next) c.enqueue(next);
      else c.close();
    },
  });
}

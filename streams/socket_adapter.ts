/**
 * Which {@linkcode SocketAdapter} ftpkit uses when none is passed.
 *
 * @module
 */

import type { SocketAdapter } from "./connection.ts";
import { nodeSocketAdapter } from "./adapters/node/mod.ts";
import { denoSocketAdapter } from "./adapters/deno/mod.ts";
import { bunSocketAdapter } from "./adapters/bun/mod.ts";

let override: SocketAdapter | undefined;

/**
 * The adapter used by default: the one set with {@linkcode setSocketAdapter},
 * else the best one for the runtime this code runs on.
 *
 * @example
 * ```ts
 * import { getSocketAdapter } from "@ftpkit/ftp/streams";
 * console.log(getSocketAdapter().name); // "deno", "bun" or "node"
 * ```
 */
export function getSocketAdapter(): SocketAdapter {
  return override ?? detectSocketAdapter();
}

/**
 * Replace the default adapter for every client and server created afterwards
 * without an explicit one (`undefined` restores detection).
 *
 * @example
 * ```ts
 * import { nodeSocketAdapter, setSocketAdapter } from "@ftpkit/ftp/streams";
 * setSocketAdapter(nodeSocketAdapter);
 * setSocketAdapter(undefined);
 * ```
 */
export function setSocketAdapter(adapter: SocketAdapter | undefined): void {
  override = adapter;
}

/**
 * The best adapter for the current runtime, found by feature detection:
 * {@linkcode denoSocketAdapter} when `globalThis.Deno` exists,
 * {@linkcode bunSocketAdapter} when `globalThis.Bun` exists, else
 * {@linkcode nodeSocketAdapter}.
 *
 * @example
 * ```ts
 * import { detectSocketAdapter } from "@ftpkit/ftp/streams";
 * console.log(detectSocketAdapter().name);
 * ```
 */
export function detectSocketAdapter(): SocketAdapter {
  const host = globalThis as { Deno?: unknown; Bun?: unknown };
  if (host.Deno) return denoSocketAdapter;
  if (host.Bun) return bunSocketAdapter;
  return nodeSocketAdapter;
}

/**
 * The byte layer: the runtime-neutral `Connection` contract, socket adapters,
 * buffered reading, speed limits, reply codes and the error classes.
 *
 * @example
 * ```ts
 * import { getSocketAdapter } from "@ftpkit/ftp/streams";
 * const listener = await getSocketAdapter().listen({ hostname: "127.0.0.1", port: 0 });
 * listener.close();
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./code.ts";
export * from "./connection.ts";
export * from "./buffered_reader.ts";
export * from "./byob.ts";
export * from "./throttle.ts";
export * from "./socket_adapter.ts";
export { NodeConnection, nodeSocketAdapter } from "./adapters/node/mod.ts";
export { DenoConnection, denoSocketAdapter } from "./adapters/deno/mod.ts";
export { BunConnection, bunSocketAdapter } from "./adapters/bun/mod.ts";
export * from "./hash/mod.ts";

/**
 * ftpkit: an FTP client and server for Deno, Bun and Node, built on Web Streams.
 *
 * @example
 * ```ts
 * import { Code } from "@ftpkit/ftp";
 * console.log(new Code("226").matches("2xx"));
 * ```
 *
 * @module
 */

export * from "./streams/mod.ts";
export * from "./pathio/mod.ts";
export * from "./client/mod.ts";
export * from "./server/mod.ts";

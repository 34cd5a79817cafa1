/**
 * Starts ftpkit's server for the benchmarks on whichever runtime runs this
 * file (`deno run -A` / `bun` import `mod.ts`, Node imports the tsc build):
 * what `ftpkit serve --writable -d ROOT` builds (FsPathIO, one anonymous
 * writable user, default options), without the CLI's per-session log lines,
 * as the peers run with their logging off.
 *
 * Usage: `<runtime> bench/peers/ftpkit_server.mjs --module <mod.ts|mod.js> <port> <root> [blockSize]`;
 * prints `ready` once listening. `blockSize` (bytes) overrides the server's
 * default file read size, for experiments (`bench/run.ts --ftpkit-block-size`).
 *
 * @module
 */

import { pathToFileURL } from "node:url";

const [flag, module, port, root, blockSize] = process.argv.slice(2);
if (flag !== "--module") throw new Error("usage: ftpkit_server.mjs --module <mod> <port> <root>");
const { FsPathIO, Permission, Server, User } = await import(pathToFileURL(module).href);

const server = new Server({
  pathIO: new FsPathIO({ root }),
  users: [new User({ permissions: [new Permission("/", { readable: true, writable: true })] })],
  ...(blockSize ? { blockSize: Number(blockSize) } : {}),
});
await server.start("127.0.0.1", Number(port));
console.log("ready");
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

/**
 * An FTP server with an in-memory file system: user `alice` (password from
 * `$FTP_PASSWORD`, default `secret`) may write everywhere, anonymous users
 * may read (starting in `/pub`) but not write. Stops on Ctrl-C or SIGTERM.
 *
 * Run: `deno run -A examples/serve_memory.ts [port]` (Bun: `bun examples/serve_memory.ts`,
 * Node: `node npm/examples/serve_memory.js`). Port 0 picks a free one.
 *
 * In your own project import from `@ftpkit/ftp` (JSR) or `ftpkit` (npm).
 *
 * @module
 */

import process from "node:process";
import { MemoryPathIO, Permission, Server, User } from "../mod.ts";

const port = Number(process.argv[2] ?? 2121);
const storage = new MemoryPathIO();
await storage.mkdir("/pub", { parents: true });

const server = new Server({
  pathIO: storage,
  users: [
    new User({ login: "alice", password: process.env.FTP_PASSWORD ?? "secret" }),
    // login null: the anonymous account.
    new User({ permissions: [new Permission("/", { writable: false })], homePath: "/pub" }),
  ],
});
server.on("upload", ({ path, size }) => console.log(`uploaded ${path} (${size} bytes)`));

const address = await server.start("127.0.0.1", port);
console.log(`listening on ftp://127.0.0.1:${address.port}`);

const stop = () => void server.close();
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
await server.run();
console.log("stopped");

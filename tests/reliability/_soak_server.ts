/**
 * The server under soak, in its own process so its file descriptors and
 * memory can be read from `/proc/<pid>`. Prints `{"port": N}` once
 * listening; answers each `stats` line on stdin with
 * `{"connections": N, "errors": N, "heapMiB": N}`; exits on `close` or when stdin ends.
 *
 * Run by `_soak.ts` with the runtime under test (deno, bun, or node on the
 * npm build).
 *
 * @module
 */

import { createInterface } from "node:readline";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { FtpError } from "../../streams/errors.ts";
import { pseudoRandomBytes } from "../_helpers.ts";

/** Size and seed of `/shared.bin`, the file every soak client downloads and checks. */
export const SHARED_FILE = { size: 256 * 1024, seed: 4242 };

if (process.argv.includes("--serve")) {
  const io = new MemoryPathIO();
  const h = await io.open("/shared.bin", "write");
  await h.write(pseudoRandomBytes(SHARED_FILE.size, SHARED_FILE.seed));
  await h.close();
  const server = new Server({
    pathIO: io,
    users: [new User({ login: "u", password: "p" })],
    waitFutureTimeout: 20_000,
    socketTimeout: 30_000,
  });
  let unexpected = 0;
  server.on("error", ({ error }) => {
    if (process.env.FTPKIT_SOAK_DEBUG) console.error("server event:", error);
    // Clients of the soak never misbehave: anything but a vanished peer counts.
    if (!(error instanceof FtpError)) {
      unexpected++;
      console.error("server error:", error);
    }
  });
  const { port } = await server.start("127.0.0.1", 0);
  console.log(JSON.stringify({ port }));
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === "stats") {
      console.log(JSON.stringify({
        connections: server.connectionCount,
        errors: unexpected,
        heapMiB: Math.round(process.memoryUsage().heapUsed / 1024 / 1024 * 10) / 10,
      }));
    } else if (line === "gc") {
      const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
      const gc = (globalThis as { gc?: () => void }).gc ?? (() => bun?.gc(true));
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(JSON.stringify({ gc: true }));
    } else if (line === "close") {
      break;
    }
  }
  await server.close();
  process.exit(0);
}

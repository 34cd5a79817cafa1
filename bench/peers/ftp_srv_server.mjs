/**
 * Starts the `ftp-srv` peer for the benchmarks: anonymous, writable, rooted at
 * a directory, logging only fatal errors (as the other servers in the table).
 *
 * Usage: `node bench/peers/ftp_srv_server.mjs <port> <root>`; prints `ready` once listening.
 *
 * @module
 */

import bunyan from "bunyan";
import FtpSrv from "ftp-srv";

const [port, root] = process.argv.slice(2);
const server = new FtpSrv({
  url: `ftp://127.0.0.1:${port}`,
  pasv_url: "127.0.0.1",
  anonymous: true,
  greeting: "ftp-srv bench",
  log: bunyan.createLogger({ name: "ftp-srv-bench", level: "fatal" }),
});
server.on("login", (_data, resolve) => resolve({ root }));
await server.listen();
console.log("ready");
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));

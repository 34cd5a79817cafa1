// ftp-srv for ftpkit's client tests: node _ftp_srv.mjs ROOT [CERT KEY]
// Binds 127.0.0.1 on a free port, prints "READY <port>", accepts user "user" /
// "pw" with ROOT as its file system root.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { FtpSrv } = require(require.resolve("ftp-srv", { paths: [process.cwd()] }));
const [root, cert, key] = process.argv.slice(2);
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const server = new FtpSrv({
  url: "ftp://127.0.0.1:0",
  pasv_url: "127.0.0.1",
  pasv_min: 1024,
  anonymous: false,
  greeting: "ftp-srv ready",
  tls: cert ? { cert: readFileSync(cert), key: readFileSync(key) } : false,
  log: quiet,
});
server.on("login", ({ username, password }, resolve, reject) => {
  if (username === "user" && password === "pw") resolve({ root, cwd: "/" });
  else reject(new Error("bad credentials"));
});
await server.listen();
console.log(`READY ${server.server.address().port}`);

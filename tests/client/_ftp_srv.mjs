// ftp-srv for ftpkit's client tests: node _ftp_srv.mjs PORT ROOT [CERT KEY]
// Accepts user "user" / "pw" with ROOT as its file system root.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { FtpSrv } = require(require.resolve("ftp-srv", { paths: [process.cwd()] }));
const [port, root, cert, key] = process.argv.slice(2);
const server = new FtpSrv({
  url: `ftp://127.0.0.1:${port}`,
  pasv_url: "127.0.0.1",
  pasv_min: 1024,
  anonymous: false,
  greeting: "ftp-srv ready",
  tls: cert ? { cert: readFileSync(cert), key: readFileSync(key) } : false,
  log: {
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error() {},
    child() {
      return this;
    },
  },
});
server.on("login", ({ username, password }, resolve, reject) => {
  if (username === "user" && password === "pw") resolve({ root, cwd: "/" });
  else reject(new Error("bad credentials"));
});
await server.listen();

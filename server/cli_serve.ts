/**
 * The `serve` command of the ftpkit CLI: serve a directory (or an in-memory
 * tree) over FTP, like `python -m aioftp`. CLI code, not core: it reads
 * files and signals through `node:` modules, which all three runtimes have.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { FsPathIO } from "../pathio/fs_path_io.ts";
import { MemoryPathIO } from "../pathio/memory_path_io.ts";
import type { PathIO } from "../pathio/path_io.ts";
import { FtpError } from "../streams/errors.ts";
import { Permission } from "./permission.ts";
import { Server } from "./server.ts";
import { User } from "./user.ts";

/** Usage text of `ftpkit serve`. */
export const SERVE_USAGE: string = `Usage: ftpkit serve [options]

Serve a directory over FTP (default: the current directory, read-only,
anonymous, on 127.0.0.1:2121).

Options:
  -d, --directory DIR   directory to serve (default: current directory)
      --memory          serve an empty in-memory file system instead
      --user NAME       require this login (default: anonymous access)
      --pass PASSWORD   password of --user
      --writable        allow uploads, renames, deletions
      --host HOST       address to bind (default 127.0.0.1, or ::1 with --family ipv6)
      --port PORT       port to bind (default 2121; 0 picks a free one)
      --family F        ipv4 or ipv6 (default ipv4)
      --pasv-ports A-B  passive data port range
      --pasv-address IP IPv4 address announced in PASV replies (NAT)
      --tls-cert FILE   certificate chain (PEM): offers AUTH TLS
      --tls-key FILE    private key (PEM)
      --implicit-tls    TLS from the first byte (implicit FTPS)
      --require-tls     refuse login and transfers without TLS
  -h, --help            show this help
`;

/** The parsed arguments of `ftpkit serve`. */
export interface ServeArguments {
  /** Directory served, when not `memory`. */
  directory: string;
  /** Serve an in-memory tree. */
  memory: boolean;
  /** Login name, or `null` for anonymous. */
  user: string | null;
  /** Password of `user`. */
  password: string | null;
  /** Allow writes. */
  writable: boolean;
  /** Bind address. */
  host: string;
  /** Bind port. */
  port: number;
  /** Passive ports, or `null` for any. */
  pasvPorts: number[] | null;
  /** Announced PASV address. */
  pasvAddress: string | null;
  /** Certificate file. */
  tlsCert: string | null;
  /** Key file. */
  tlsKey: string | null;
  /** Implicit FTPS. */
  implicitTls: boolean;
  /** Require TLS. */
  requireTls: boolean;
  /** Show usage only. */
  help: boolean;
}

/**
 * Parse the arguments after `serve`.
 *
 * @example
 * ```ts
 * import { parseServeArguments } from "@ftpkit/ftp/server";
 * const args = parseServeArguments(["--memory", "--writable", "--port", "0"]);
 * console.log(args.port); // 0
 * ```
 * @throws {FtpError} on an unknown option or a bad value.
 */
export function parseServeArguments(argv: readonly string[], cwd = "."): ServeArguments {
  const args: ServeArguments = {
    directory: cwd,
    memory: false,
    user: null,
    password: null,
    writable: false,
    host: "",
    port: 2121,
    pasvPorts: null,
    pasvAddress: null,
    tlsCert: null,
    tlsKey: null,
    implicitTls: false,
    requireTls: false,
    help: false,
  };
  let family = "ipv4";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = argv[++i];
      if (next === undefined) throw new FtpError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "-d":
      case "--directory":
        args.directory = value();
        break;
      case "--memory":
        args.memory = true;
        break;
      case "--user":
        args.user = value();
        break;
      case "--pass":
      case "--password":
        args.password = value();
        break;
      case "--writable":
        args.writable = true;
        break;
      case "--host":
        args.host = value();
        break;
      case "--port": {
        const text = value();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) throw new FtpError(`Bad port: ${text}`);
        args.port = port;
        break;
      }
      case "--family":
        family = value().toLowerCase();
        if (family !== "ipv4" && family !== "ipv6") throw new FtpError(`Bad family: ${family}`);
        break;
      case "--pasv-ports": {
        const text = value();
        const m = text.match(/^(\d+)-(\d+)$/);
        const from = Number(m?.[1]), to = Number(m?.[2]);
        if (!m || from < 1024 || to > 65535 || from > to) {
          throw new FtpError(`Bad port range: ${text} (expected A-B within 1024-65535)`);
        }
        args.pasvPorts = Array.from({ length: to - from + 1 }, (_, k) => from + k);
        break;
      }
      case "--pasv-address":
        args.pasvAddress = value();
        break;
      case "--tls-cert":
        args.tlsCert = value();
        break;
      case "--tls-key":
        args.tlsKey = value();
        break;
      case "--implicit-tls":
        args.implicitTls = true;
        break;
      case "--require-tls":
        args.requireTls = true;
        break;
      case "-h":
      case "--help":
        args.help = true;
        break;
      default:
        throw new FtpError(`Unknown option: ${arg}`);
    }
  }
  if (!args.host) args.host = family === "ipv6" ? "::1" : "127.0.0.1";
  if ((args.user === null) !== (args.password === null)) {
    throw new FtpError("--user and --pass go together");
  }
  if ((args.tlsCert === null) !== (args.tlsKey === null)) {
    throw new FtpError("--tls-cert and --tls-key go together");
  }
  if ((args.implicitTls || args.requireTls) && args.tlsCert === null) {
    throw new FtpError("--implicit-tls and --require-tls need --tls-cert and --tls-key");
  }
  return args;
}

/** Where {@linkcode runServe} writes. */
export interface ServeOutput {
  /** One line per event. */
  log: (line: string) => void;
  /** Errors and usage problems. */
  error: (line: string) => void;
}

/**
 * Run `ftpkit serve` until SIGINT or SIGTERM; resolves with the exit code.
 *
 * @example
 * ```ts ignore
 * import { runServe } from "@ftpkit/ftp/server";
 * process.exitCode = await runServe(["--memory", "--writable"]);
 * ```
 */
export async function runServe(
  argv: readonly string[],
  output: ServeOutput = { log: console.log, error: console.error },
): Promise<number> {
  let args: ServeArguments;
  try {
    args = parseServeArguments(argv, process.cwd());
  } catch (err) {
    output.error(`ftpkit serve: ${(err as Error).message}\n\n${SERVE_USAGE}`);
    return 2;
  }
  if (args.help) {
    output.log(SERVE_USAGE);
    return 0;
  }
  const pathIO: PathIO = args.memory ? new MemoryPathIO() : new FsPathIO({ root: args.directory });
  if (!args.memory && !(await pathIO.isDir("/").catch(() => false))) {
    output.error(`ftpkit serve: ${args.directory} is not a readable directory`);
    return 1;
  }
  const permissions = [new Permission("/", { readable: true, writable: args.writable })];
  const user = new User({ login: args.user, password: args.password, permissions });
  const tls = args.tlsCert && args.tlsKey
    ? { cert: readFileSync(args.tlsCert, "utf8"), key: readFileSync(args.tlsKey, "utf8") }
    : null;
  const server = new Server({
    pathIO,
    users: [user],
    dataPorts: args.pasvPorts,
    ipv4PasvForcedResponseAddress: args.pasvAddress,
    tls,
    implicitTls: args.implicitTls,
    requireTls: args.requireTls,
    requireDataTls: args.requireTls,
  });
  const stamp = () => new Date().toISOString();
  server.on(
    "connect",
    (e) =>
      output.log(
        `${stamp()} #${e.sessionId} connect ${e.remoteAddress.hostname}:${e.remoteAddress.port}`,
      ),
  );
  server.on(
    "login",
    (e) => output.log(`${stamp()} #${e.sessionId} login ${e.login || "anonymous"}`),
  );
  server.on("logout", (e) => output.log(`${stamp()} #${e.sessionId} logout`));
  server.on(
    "upload",
    (e) => output.log(`${stamp()} #${e.sessionId} upload ${e.path} ${e.size} bytes`),
  );
  server.on(
    "download",
    (e) => output.log(`${stamp()} #${e.sessionId} download ${e.path} ${e.size} bytes`),
  );
  server.on("disconnect", (e) => output.log(`${stamp()} #${e.sessionId} disconnect`));
  server.on(
    "error",
    (e) =>
      output.log(
        `${stamp()} #${e.sessionId ?? "-"} error ${
          e.error instanceof Error ? e.error.message : String(e.error)
        }`,
      ),
  );
  let address;
  try {
    address = await server.start(args.host, args.port);
  } catch (err) {
    output.error(`ftpkit serve: ${(err as Error).message}`);
    return 1;
  }
  const where = args.memory ? "memory" : args.directory;
  const host = address.family === "IPv6" ? `[${address.hostname}]` : address.hostname;
  output.log(
    `${stamp()} serving ${where} on ftp${args.implicitTls ? "s" : ""}://${host}:${address.port}` +
      ` (${args.user ? "user " + args.user : "anonymous"}, ${
        args.writable ? "writable" : "read-only"
      }` +
      `${tls && !args.implicitTls ? ", AUTH TLS" : ""})`,
  );
  const stop = () => {
    output.log(`${stamp()} shutting down`);
    server.close();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await server.run();
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  }
  output.log(`${stamp()} stopped`);
  return 0;
}

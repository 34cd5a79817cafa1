/**
 * Starts real FTP servers on loopback for the client tests: vsftpd,
 * pyftpdlib (with or without MLSx), ftp-srv (under node), each on a free port
 * with its own temporary root. Every `stop()` kills the process and removes
 * the root. A missing peer fails the test (CI installs them with
 * `.ci/setup.d/client.sh`).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../_helpers.ts";

/** A running peer. */
export interface Peer {
  name: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** The server's root directory on disk. */
  root: string;
  /** Whether the server offers AUTH TLS. */
  tls: boolean;
  /** The server's recent stdout and stderr, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, from the sources or from the npm build (`npm/tests/client`). */
export const REPO_ROOT: string = existsSync(join(here, "..", "..", "deno.json"))
  ? join(here, "..", "..")
  : join(here, "..", "..", "..");
const FIXTURES = join(REPO_ROOT, "tests", "fixtures");
/** Server certificate and key files (signed by the test CA). */
export const CERT_FILE: string = join(FIXTURES, "server.pem");
export const KEY_FILE: string = join(FIXTURES, "server.key");

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Wait until `port` greets with a banner matching `banner`. Another process
 * may grab a port between `freePort()` and the peer's bind (other suites run
 * alongside), so the banner is checked, not just the connect.
 */
function waitForBanner(
  port: number,
  child: ChildProcess,
  banner: RegExp,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`server exited with ${child.exitCode} before listening`));
        return;
      }
      const socket = net.connect({ host: "127.0.0.1", port });
      let text = "";
      socket.setTimeout(2000, () => socket.destroy(new Error("no banner")));
      socket.on("data", (chunk) => {
        text += chunk.toString();
        if (!text.includes("\n")) return;
        socket.destroy();
        if (banner.test(text)) resolve();
        else reject(new Error(`port ${port} is taken by another server: ${text.trim()}`));
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGKILL");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
}

function stopper(child: ChildProcess, cleanup: () => Promise<void>): () => Promise<void> {
  let stopping = false;
  // A peer that dies on its own leaves its last words in the test output.
  const output = collectOutput(child);
  child.once("exit", (code, signal) => {
    if (!stopping) console.error(`peer exited early (${code ?? signal}):\n${output()}`);
  });
  return async () => {
    stopping = true;
    await kill(child);
    await cleanup();
  };
}

function collectOutput(child: ChildProcess): () => string {
  let out = "";
  const take = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 20_000) out = out.slice(-10_000);
  };
  child.stdout?.on("data", take);
  child.stderr?.on("data", take);
  return () => out;
}

/** The port a peer prints as `READY <port>` once it listens (it binds port 0 itself). */
function readyPort(child: ChildProcess, output: () => string, name: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output()}`)), 15_000);
    const check = () => {
      const m = /READY (\d+)/.exec(output());
      if (!m) return;
      clearTimeout(timer);
      child.stdout?.off("data", check);
      resolve(Number(m[1]));
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${output()}`));
    });
  });
}

/** vsftpd with anonymous read/write, optionally FTPS (`require_ssl_reuse=YES`). */
export async function startVsftpd(options: { tls?: boolean } = {}): Promise<Peer> {
  const binary = "/usr/sbin/vsftpd";
  if (!existsSync(binary)) throw new Error("vsftpd is not installed (run .ci/setup.d/client.sh)");
  const dir = await tempDir("ftpkit-vsftpd-");
  const root = join(dir.path, "root");
  await mkdir(root);
  await mkdir(join(dir.path, "empty"));
  const pasvMin = 40000 + Math.floor(Math.random() * 400) * 50;
  const config = (port: number) => [
    "listen=YES",
    "listen_ipv6=NO",
    "listen_address=127.0.0.1",
    `listen_port=${port}`,
    "background=NO",
    "anonymous_enable=YES",
    "local_enable=NO",
    `anon_root=${root}`,
    "write_enable=YES",
    "anon_upload_enable=YES",
    "anon_mkdir_write_enable=YES",
    "anon_other_write_enable=YES",
    "anon_world_readable_only=NO",
    "no_anon_password=YES",
    "allow_writeable_chroot=YES",
    `secure_chroot_dir=${join(dir.path, "empty")}`,
    "seccomp_sandbox=NO",
    "run_as_launching_user=YES",
    `pasv_min_port=${pasvMin}`,
    `pasv_max_port=${pasvMin + 49}`,
    "anon_umask=022",
    "xferlog_enable=NO",
    "port_enable=YES",
    "connect_from_port_20=NO",
    ...(options.tls
      ? [
        "ssl_enable=YES",
        "allow_anon_ssl=YES",
        "force_anon_data_ssl=YES",
        "force_anon_logins_ssl=YES",
        `rsa_cert_file=${CERT_FILE}`,
        `rsa_private_key_file=${KEY_FILE}`,
        "require_ssl_reuse=YES",
      ]
      : []),
  ];
  const confFile = join(dir.path, "vsftpd.conf");
  let port = 0;
  let child: ChildProcess;
  let output: () => string;
  for (let attempt = 1;; attempt++) {
    port = await freePort();
    await writeFile(confFile, config(port).join("\n") + "\n");
    child = spawn(binary, [confFile], { stdio: ["ignore", "pipe", "pipe"] });
    output = collectOutput(child);
    try {
      await waitForBanner(port, child, /vsFTPd/, 5000);
      break;
    } catch (err) {
      await kill(child);
      if (attempt < 3) continue;
      await dir.remove();
      throw new Error(`vsftpd did not start: ${(err as Error).message}\n${output()}`);
    }
  }
  const stop = stopper(child, dir.remove);
  return {
    name: options.tls ? "vsftpd+tls" : "vsftpd",
    host: "127.0.0.1",
    port,
    user: "anonymous",
    password: "",
    root,
    tls: !!options.tls,
    output,
    stop,
  };
}

/** pyftpdlib (user `user` / `pw`), optionally without MLSD/MLST, optionally FTPS. */
export async function startPyftpdlib(
  options: { mlsx?: boolean; tls?: boolean } = {},
): Promise<Peer> {
  const dir = await tempDir("ftpkit-pyftpd-");
  const args = [join(REPO_ROOT, "tests", "client", "_pyftpd.py"), dir.path];
  if (options.mlsx === false) args.push("--no-mlsx");
  if (options.tls) args.push("--tls", CERT_FILE, KEY_FILE);
  const child = spawn("/usr/bin/python3", args, { stdio: ["ignore", "pipe", "pipe"] });
  const output = collectOutput(child);
  const stop = stopper(child, dir.remove);
  const port = await readyPort(child, output, "pyftpdlib").catch(async (err) => {
    await stop();
    throw err;
  });
  return {
    name: `pyftpdlib${options.mlsx === false ? "-no-mlsx" : ""}${options.tls ? "+tls" : ""}`,
    host: "127.0.0.1",
    port,
    user: "user",
    password: "pw",
    root: dir.path,
    tls: !!options.tls,
    output,
    stop,
  };
}

/** ftp-srv (npm), run by node whatever runtime runs the test. */
export async function startFtpSrv(options: { tls?: boolean } = {}): Promise<Peer> {
  const dir = await tempDir("ftpkit-ftpsrv-");
  const args = [join(REPO_ROOT, "tests", "client", "_ftp_srv.mjs"), dir.path];
  if (options.tls) args.push(CERT_FILE, KEY_FILE);
  const child = spawn("node", args, { stdio: ["ignore", "pipe", "pipe"], cwd: REPO_ROOT });
  const output = collectOutput(child);
  const stop = stopper(child, dir.remove);
  const port = await readyPort(child, output, "ftp-srv").catch(async (err) => {
    await stop();
    throw err;
  });
  return {
    name: options.tls ? "ftp-srv+tls" : "ftp-srv",
    host: "127.0.0.1",
    port,
    user: "user",
    password: "pw",
    root: dir.path,
    tls: !!options.tls,
    output,
    stop,
  };
}

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

function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`server exited with ${child.exitCode} before listening`));
        return;
      }
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve();
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

function stopper(child: ChildProcess, cleanup: () => Promise<void>): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGKILL");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
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

/** vsftpd with anonymous read/write, optionally FTPS (`require_ssl_reuse=YES`). */
export async function startVsftpd(options: { tls?: boolean } = {}): Promise<Peer> {
  const binary = "/usr/sbin/vsftpd";
  if (!existsSync(binary)) throw new Error("vsftpd is not installed (run .ci/setup.d/client.sh)");
  const dir = await tempDir("ftpkit-vsftpd-");
  const root = join(dir.path, "root");
  await mkdir(root);
  await mkdir(join(dir.path, "empty"));
  const port = await freePort();
  const pasvMin = 40000 + Math.floor(Math.random() * 400) * 50;
  const config = [
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
  await writeFile(confFile, config.join("\n") + "\n");
  const child = spawn(binary, [confFile], { stdio: ["ignore", "pipe", "pipe"] });
  const output = collectOutput(child);
  const stop = stopper(child, dir.remove);
  try {
    await waitForPort(port, child, 5000);
  } catch (err) {
    await stop();
    throw new Error(`vsftpd did not start: ${(err as Error).message}\n${output()}`);
  }
  return {
    name: options.tls ? "vsftpd+tls" : "vsftpd",
    host: "127.0.0.1",
    port,
    user: "anonymous",
    password: "",
    root,
    tls: !!options.tls,
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
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("pyftpdlib did not start")), 10_000);
    const check = () => {
      const m = /READY (\d+)/.exec(output());
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pyftpdlib exited with ${code}: ${output()}`));
    });
  }).catch(async (err) => {
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
    stop,
  };
}

/** ftp-srv (npm), run by node whatever runtime runs the test. */
export async function startFtpSrv(options: { tls?: boolean } = {}): Promise<Peer> {
  const dir = await tempDir("ftpkit-ftpsrv-");
  const port = await freePort();
  const script = join(REPO_ROOT, "tests", "client", "_ftp_srv.mjs");
  const args = [script, String(port), dir.path];
  if (options.tls) args.push(CERT_FILE, KEY_FILE);
  const child = spawn("node", args, {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: REPO_ROOT,
  });
  const output = collectOutput(child);
  const stop = stopper(child, dir.remove);
  try {
    await waitForPort(port, child, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`ftp-srv did not start: ${(err as Error).message}\n${output()}`);
  }
  return {
    name: options.tls ? "ftp-srv+tls" : "ftp-srv",
    host: "127.0.0.1",
    port,
    user: "user",
    password: "pw",
    root: dir.path,
    tls: !!options.tls,
    stop,
  };
}

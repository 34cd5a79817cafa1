/**
 * The FTP servers the benchmark compares, each started in its own process on
 * a free loopback port, anonymous and writable, serving the fixtures' root.
 *
 * @module
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchCommand } from "./process.ts";
import type { BenchFixtures } from "./fixtures.ts";
import type { BenchTools } from "./peers.ts";

/** One server under test. */
export interface ServerTarget {
  /** Id used on the command line and in the results (`ftpkit-deno`, `vsftpd`, ...). */
  id: string;
  /** Label in tables and charts. */
  label: string;
  /** `ftpkit`, `peer`, or `calibration` (the null server that bounds the driver). */
  kind: "ftpkit" | "peer" | "calibration";
  /** Sessions are forked processes: sample the whole process tree. */
  forks: boolean;
  /**
   * Command that runs the server on `port` (may write configuration into
   * `fixtures.confDir`). `launch` applies to ftpkit's targets only.
   */
  command(
    port: number,
    fixtures: BenchFixtures,
    tools: BenchTools,
    launch?: FtpkitLaunchOptions,
  ): BenchCommand;
}

/** Experiment switches for ftpkit's server processes. */
export interface FtpkitLaunchOptions {
  /** Write a V8 CPU profile into this directory on exit. */
  profileDir?: string;
  /** Override the server's `blockSize` (file read size), bytes. */
  blockSize?: number;
}

/** A user vsftpd can map anonymous sessions to: it needs an existing home directory. */
export interface AnonymousUser {
  /** Login name. */
  name: string;
  /** uid. */
  uid: number;
  /** gid. */
  gid: number;
}

/** Picks `ftp` (Debian's vsftpd user) or, when it is missing, `daemon` for vsftpd's anonymous sessions. */
export function vsftpdAnonymousUser(): AnonymousUser | undefined {
  let passwd = "";
  try {
    passwd = readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const wanted of ["ftp", "daemon", "nobody"]) {
    for (const line of passwd.split("\n")) {
      const [name, , uid, gid, , home] = line.split(":");
      if (name === wanted && home && existsSync(home)) {
        return { name, uid: Number(uid), gid: Number(gid) };
      }
    }
  }
  return undefined;
}

/** Every server target, in table order (ftpkit first, then the peers, then the calibration). */
export const SERVER_TARGETS: ServerTarget[] = [
  ftpkitServer("deno"),
  ftpkitServer("bun"),
  ftpkitServer("node"),
  {
    id: "pyftpdlib",
    label: "pyftpdlib",
    kind: "peer",
    forks: false,
    command: (port, f, tools) => ({
      cmd: tools.python,
      args: [join(tools.repo, "bench/peers/pyftpdlib_server.py"), String(port), f.root],
    }),
  },
  {
    id: "aioftp",
    label: "aioftp",
    kind: "peer",
    forks: false,
    command: (port, f, tools) => ({
      cmd: tools.python,
      args: ["-m", "aioftp", "-q", "--host", "127.0.0.1", "--port", String(port), "-d", f.root],
    }),
  },
  {
    id: "ftp-srv",
    label: "ftp-srv",
    kind: "peer",
    forks: false,
    command: (port, f, tools) => ({
      cmd: tools.node,
      args: [join(tools.repo, "bench/peers/ftp_srv_server.mjs"), String(port), f.root],
    }),
  },
  {
    id: "vsftpd",
    label: "vsftpd",
    kind: "peer",
    forks: true,
    command: (port, f, tools) => {
      const conf = join(f.confDir, `vsftpd_${port}.conf`);
      writeFileSync(conf, vsftpdConfig(port, f, tools.vsftpdUser?.name ?? "ftp"), { mode: 0o600 });
      return { cmd: tools.vsftpd, args: [conf] };
    },
  },
  {
    id: "null",
    label: "driver ceiling (null server)",
    kind: "calibration",
    forks: false,
    command: (port, _f, tools) => ({
      cmd: tools.python,
      args: [join(tools.repo, "bench/driver/null_server.py"), "--port", String(port)],
    }),
  },
];

/** Flags that make deno, bun and node write a V8 CPU profile into `dir` on exit. */
export function cpuProfileFlags(dir?: string): string[] {
  return dir ? ["--cpu-prof", `--cpu-prof-dir=${dir}`] : [];
}

/** ftpkit's server through `bench/peers/ftpkit_server.mjs` on one runtime. */
function ftpkitServer(runtime: "deno" | "bun" | "node"): ServerTarget {
  return {
    id: `ftpkit-${runtime}`,
    label: `ftpkit (${runtime[0].toUpperCase()}${runtime.slice(1)})`,
    kind: "ftpkit",
    forks: false,
    command(port, f, tools, launch = {}) {
      const script = join(tools.repo, "bench/peers/ftpkit_server.mjs");
      const module = runtime === "node"
        ? join(tools.nodeBuild, "mod.js")
        : join(tools.repo, "mod.ts");
      const args = [
        ...cpuProfileFlags(launch.profileDir),
        script,
        "--module",
        module,
        String(port),
        f.root,
        ...(launch.blockSize ? [String(launch.blockSize)] : []),
      ];
      if (runtime === "deno") return { cmd: tools.deno, args: ["run", "-A", ...args] };
      return { cmd: runtime === "bun" ? tools.bun : tools.node, args };
    },
  };
}

/**
 * vsftpd as Debian ships it, plus what a foreground anonymous writable server on
 * one port needs. Its sandboxing defaults (isolate, isolate_network) stay on.
 */
function vsftpdConfig(port: number, f: BenchFixtures, anonUser: string): string {
  return [
    "listen=YES",
    "listen_ipv6=NO",
    "listen_address=127.0.0.1",
    `listen_port=${port}`,
    "background=NO",
    "anonymous_enable=YES",
    "no_anon_password=YES",
    "local_enable=NO",
    "write_enable=YES",
    "anon_upload_enable=YES",
    "anon_mkdir_write_enable=YES",
    "anon_other_write_enable=YES",
    "anon_umask=022",
    `anon_root=${f.root}`,
    `ftp_username=${anonUser}`,
    "nopriv_user=nobody",
    `secure_chroot_dir=${f.emptyDir}`,
    "pasv_enable=YES",
    "max_clients=0",
    "max_per_ip=0",
    "xferlog_enable=NO",
    "dirmessage_enable=NO",
    "use_localtime=NO",
    "",
  ].join("\n");
}

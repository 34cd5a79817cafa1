/**
 * The FTP clients the benchmark compares: ftpkit's `Client` on Deno, Bun and
 * Node, basic-ftp on Node (both through small scripts in `bench/clients/`),
 * and curl's command line.
 *
 * @module
 */

import { join } from "node:path";
import type { BenchCommand } from "./process.ts";
import type { BenchTools } from "./peers.ts";
import { cpuProfileFlags } from "./servers.ts";

/** One client job. */
export interface ClientJob {
  /** What to do. */
  action: "download" | "upload" | "list" | "small";
  /** Server port (127.0.0.1). */
  port: number;
  /** Remote file (download, upload) or directory (list, small). */
  remote: string;
  /** Local file to upload. */
  local?: string;
  /** Bytes of the file (upload), or of each small file. */
  size?: number;
  /** Local files of the small-files job. */
  files?: string[];
  /** Local directory the small-files job downloads into. */
  localDir?: string;
  /** Experiment: ftpkit's upload `blockSize`. */
  ftpkitBlockSize?: number;
}

/** What a client reports about one job. */
export interface ClientFigures {
  /** Seconds from connecting to the end of the job. */
  seconds: number;
  /** Bytes moved. */
  bytes: number;
  /** Entries listed. */
  entries: number;
  /** Client RSS before the job, MB (script clients only). */
  rssBeforeMB?: number;
  /** Client peak RSS after the job, MB (script clients only). */
  hwmMB?: number;
}

/** One client under test. */
export interface ClientTarget {
  /** Id (`ftpkit-deno`, `basic-ftp`, `curl`). */
  id: string;
  /** Label. */
  label: string;
  /** `ftpkit` or `peer`. */
  kind: "ftpkit" | "peer";
  /** Commands that do the job, run one after the other (ftpkit's write CPU profiles into `profileDir`). */
  commands(job: ClientJob, tools: BenchTools, profileDir?: string): BenchCommand[];
  /** Figures from the commands' outputs. */
  parse(stdouts: string[], job: ClientJob): ClientFigures;
}

function scriptArgs(job: ClientJob): string[] {
  const args = ["--port", String(job.port), job.action, "--remote", job.remote];
  if (job.local) args.push("--local", job.local);
  if (job.size !== undefined) args.push("--size", String(job.size));
  if (job.files) args.push("--files", job.files.join(","));
  if (job.localDir) args.push("--local-dir", job.localDir);
  if (job.ftpkitBlockSize) args.push("--block-size", String(job.ftpkitBlockSize));
  return args;
}

function parseScript(stdouts: string[]): ClientFigures {
  const line = stdouts[0]?.trim().split("\n").pop() ?? "";
  const out = JSON.parse(line);
  if (out.error) throw new Error(out.error);
  return out as ClientFigures;
}

function ftpkitScript(runtime: "deno" | "bun" | "node"): ClientTarget {
  return {
    id: `ftpkit-${runtime}`,
    label: `ftpkit (${runtime[0].toUpperCase()}${runtime.slice(1)})`,
    kind: "ftpkit",
    commands(job, tools, profileDir) {
      const script = join(tools.repo, "bench/clients/ftpkit_client.mjs");
      const module = runtime === "node"
        ? join(tools.nodeBuild, "mod.js")
        : join(tools.repo, "mod.ts");
      const args = [...cpuProfileFlags(profileDir), script, "--module", module, ...scriptArgs(job)];
      if (runtime === "deno") return [{ cmd: tools.deno, args: ["run", "-A", ...args] }];
      return [{ cmd: runtime === "bun" ? tools.bun : tools.node, args }];
    },
    parse: parseScript,
  };
}

const CURL_TIMES = "%{time_total} %{size_download} %{size_upload}\\n";

/** Every client target, in table order. */
export const CLIENT_TARGETS: ClientTarget[] = [
  ftpkitScript("deno"),
  ftpkitScript("bun"),
  ftpkitScript("node"),
  {
    id: "basic-ftp",
    label: "basic-ftp (Node)",
    kind: "peer",
    commands: (job, tools) => [{
      cmd: tools.node,
      args: [join(tools.repo, "bench/clients/basic_ftp_client.mjs"), ...scriptArgs(job)],
    }],
    parse: parseScript,
  },
  {
    id: "curl",
    label: "curl",
    kind: "peer",
    commands(job, tools) {
      const base = `ftp://127.0.0.1:${job.port}`;
      const curl = (...args: string[]) => ({
        cmd: tools.curl,
        args: ["-s", "-S", "--fail", "-w", CURL_TIMES, ...args],
      });
      switch (job.action) {
        case "download":
          return [curl("-o", "/dev/null", `${base}/${job.remote}`)];
        case "upload":
          return [curl("-T", job.local!, `${base}/${job.remote}`)];
        case "list":
          return [curl("-o", join(job.localDir!, "listing.txt"), `${base}/${job.remote}/`)];
        case "small": {
          const names = job.files!.map((f) => f.slice(f.lastIndexOf("/") + 1));
          const downloads = names.flatMap((n) => [
            `${base}/${job.remote}/${n}`,
            "-o",
            join(job.localDir!, n),
          ]);
          return [
            curl("-T", `{${job.files!.join(",")}}`, `${base}/${job.remote}/`),
            curl(...downloads),
          ];
        }
      }
    },
    parse(stdouts, job) {
      let seconds = 0;
      let bytes = 0;
      for (const out of stdouts) {
        for (const line of out.trim().split("\n")) {
          const [time, down, up] = line.trim().split(/\s+/).map(Number);
          if (!Number.isFinite(time)) throw new Error(`unexpected curl output: ${line}`);
          seconds += time;
          bytes += down + up;
        }
      }
      return { seconds, bytes, entries: job.action === "list" ? -1 : 0 };
    },
  },
];

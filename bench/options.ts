/**
 * Command-line options of the peer benchmark (`npm run bench`).
 *
 * @module
 */

/** The benchmark groups. */
export type BenchGroup = "server" | "client";

/** Options of one benchmark run. */
export interface BenchOptions {
  /** Groups to run (default both). */
  groups: BenchGroup[];
  /** Server targets to run (`ftpkit-deno`, `pyftpdlib`, ...); empty means all. */
  servers: string[];
  /** Client targets to run (`ftpkit-deno`, `basic-ftp`, `curl`, ...); empty means all. */
  clients: string[];
  /** Row ids to run (`stor`, `multi-retr`, ...); empty means all. */
  rows: string[];
  /** Bytes of the one-client transfers (default 1 GiB). */
  bigSize: number;
  /** Bytes of each file in the many-client rows (default 10 MB). */
  multiSize: number;
  /** Concurrent clients in the many-client rows (default 200). */
  clientCount: number;
  /** Files in the directory listed by the client rows (default 10,000). */
  listFiles: number;
  /** Files in the small-files client row (default 100). */
  smallFiles: number;
  /** Bytes of each small file (default 16 KiB). */
  smallSize: number;
  /** Repeats of each row; the median is reported (default 3). */
  repeats: number;
  /** Directory for fixtures and server roots (default `/dev/shm` when present). */
  workDir: string;
  /** Where the results go (default `bench/results`). */
  resultsDir: string;
  /** Also measure the driver against the null server (default true). */
  calibrate: boolean;
  /** Install missing peers with apt-get / npm (default true). */
  install: boolean;
  /** Write CPU profiles of ftpkit's processes here (figures are then slower). */
  profileDir?: string;
  /** Experiment: ftpkit's server `blockSize` and its client's upload `blockSize` instead of their defaults. */
  ftpkitBlockSize?: number;
}

/** Help text of `bench/run.ts`. */
export const BENCH_USAGE = `Usage: deno run -A bench/run.ts [options]   (npm run bench -- [options])

  --quick                tiny sizes, 20 clients, 1 repeat (development smoke run)
  --group server,client  groups to run (default both)
  --servers a,b          server targets: ftpkit-deno, ftpkit-bun, ftpkit-node,
                         pyftpdlib, aioftp, ftp-srv, vsftpd (default all)
  --clients a,b          client targets: ftpkit-deno, ftpkit-bun, ftpkit-node,
                         basic-ftp, curl (default all)
  --rows a,b             row ids: stor, retr, logins, idle-stor, idle-retr,
                         multi-retr, multi-stor (server; logins also gives quit);
                         download, upload, list, small-files (client)
  --size BYTES           one-client transfer size (default 1073741824; k/m/g suffixes)
  --multi-size BYTES     per-client file of the many-client rows (default 10m = 10,000,000)
  --n N                  concurrent clients (default 200)
  --list-files N         files in the listed directory (default 10000)
  --small-files N        files in the small-files row (default 100)
  --repeats N            repeats per row, median reported (default 3)
  --work-dir DIR         fixtures and server roots (default /dev/shm or the temp dir)
  --results DIR          output directory (default bench/results)
  --no-calibrate         skip the driver-vs-null-server calibration
  --no-install           never run apt-get / npm, skip missing peers instead
  --profile DIR          run ftpkit's server and client processes with --cpu-prof,
                         profiles and a summary (summary.txt) go to DIR; profiling
                         slows them down, so keep such runs out of the tables
  --ftpkit-block-size B  experiment: ftpkit's server blockSize and its client's upload
                         blockSize (file read sizes) set to B instead of their defaults
`;

/** Parses `1g`, `10m`, `16k` (binary k/g, decimal m as in ftpbench's "10 MB") or plain bytes. */
export function parseBenchSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([kmgKMG]i?)?$/.exec(text.trim());
  if (!match) throw new RangeError(`not a size: ${text}`);
  const unit = (match[2] ?? "").toLowerCase();
  const factor = unit === "k" || unit === "ki"
    ? 1024
    : unit === "m"
    ? 1_000_000
    : unit === "mi"
    ? 1024 * 1024
    : unit === "g" || unit === "gi"
    ? 1024 ** 3
    : 1;
  return Math.round(Number(match[1]) * factor);
}

/**
 * Parses the command line of `bench/run.ts`.
 *
 * @example
 * ```ts
 * const options = parseBenchArgs(["--quick", "--servers", "pyftpdlib"], "/dev/shm");
 * console.log(options.repeats); // 1
 * ```
 */
export function parseBenchArgs(argv: string[], defaultWorkDir: string): BenchOptions {
  const options: BenchOptions = {
    groups: ["server", "client"],
    servers: [],
    clients: [],
    rows: [],
    bigSize: 1024 ** 3,
    multiSize: 10_000_000,
    clientCount: 200,
    listFiles: 10_000,
    smallFiles: 100,
    smallSize: 16 * 1024,
    repeats: 3,
    workDir: defaultWorkDir,
    resultsDir: "bench/results",
    calibrate: true,
    install: true,
  };
  const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new RangeError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--quick":
        options.bigSize = 64 * 1024 * 1024;
        options.multiSize = 1_000_000;
        options.clientCount = 20;
        options.listFiles = 500;
        options.smallFiles = 10;
        options.repeats = 1;
        break;
      case "--group":
      case "--groups":
        options.groups = list(value()) as BenchGroup[];
        for (const g of options.groups) {
          if (g !== "server" && g !== "client") throw new RangeError(`unknown group ${g}`);
        }
        break;
      case "--servers":
        options.servers = list(value());
        break;
      case "--clients":
        options.clients = list(value());
        break;
      case "--rows":
        options.rows = list(value());
        break;
      case "--size":
        options.bigSize = parseBenchSize(value());
        break;
      case "--multi-size":
        options.multiSize = parseBenchSize(value());
        break;
      case "--n":
        options.clientCount = Number(value());
        break;
      case "--list-files":
        options.listFiles = Number(value());
        break;
      case "--small-files":
        options.smallFiles = Number(value());
        break;
      case "--repeats":
        options.repeats = Math.max(1, Number(value()));
        break;
      case "--work-dir":
        options.workDir = value();
        break;
      case "--results":
        options.resultsDir = value();
        break;
      case "--no-calibrate":
        options.calibrate = false;
        break;
      case "--no-install":
        options.install = false;
        break;
      case "--profile":
        options.profileDir = value();
        break;
      case "--ftpkit-block-size":
        options.ftpkitBlockSize = parseBenchSize(value());
        break;
      case "-h":
      case "--help":
        throw new BenchUsageRequest();
      default:
        throw new RangeError(`unknown option ${flag}\n\n${BENCH_USAGE}`);
    }
  }
  return options;
}

/** Thrown by {@link parseBenchArgs} when `--help` was given. */
export class BenchUsageRequest extends Error {
  constructor() {
    super(BENCH_USAGE);
    this.name = "BenchUsageRequest";
  }
}

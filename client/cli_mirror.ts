/**
 * `ftpkit mirror`: make a local tree match a remote one (download) or the
 * other way round (upload), copying only what changed, over one or more
 * connections.
 *
 * @module
 */

import { lstat, mkdir, readdir, rm, utimes } from "node:fs/promises";
import { join as localJoin, relative as localRelative, resolve as localResolve } from "node:path";
import { join as remoteJoin, normalize as remoteNormalize } from "../pathio/posix.ts";
import { FtpError } from "../streams/errors.ts";
import { CliUsageError, parseIntegerOption } from "./cli_arguments.ts";
import type { ClientCommandContext, ClientCommandDefinition } from "./cli_command.ts";
import { isFtpUrl, parseFtpTarget } from "./cli_connection.ts";
import { formatByteSize, formatDuration } from "./cli_format.ts";
import { type MirrorDirection, type MirrorEntry, planMirror } from "./cli_mirror_plan.ts";
import type { Client } from "./client.ts";

/** Some files of a mirror could not be copied or removed; `failures` lists them. */
export class MirrorIncompleteError extends FtpError {
  /** Relative path and error of each failed file. */
  readonly failures: readonly [path: string, error: unknown][];
  /**
   * Report `failures` out of `total` operations; the first failure is the `cause`.
   *
   * @param failures What failed.
   * @param total How many operations were tried.
   */
  constructor(failures: readonly [string, unknown][], total: number) {
    const [path, error] = failures[0];
    super(
      `${failures.length} of ${total} files failed; first: ${path}: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
    this.failures = failures;
  }
}

/** Most connections `--parallel` may open. */
export const MAX_MIRROR_CONNECTIONS = 16;

/** `ftpkit mirror [options] SOURCE DESTINATION`. */
export const MIRROR_COMMAND: ClientCommandDefinition = {
  name: "mirror",
  synopsis: "mirror [options] SOURCE DESTINATION",
  description: `Copy a directory tree, skipping files that are unchanged (same size, and same
time for downloads / a newer server copy for uploads). One of SOURCE and
DESTINATION is an ftp:// or ftps:// URL: URL first downloads into the local
directory, URL second uploads the local directory. Downloaded files get the
server's modification time. Symbolic links are not followed.`,
  options: [
    {
      name: "parallel",
      short: "P",
      takesValue: true,
      valueName: "N",
      help:
        `copy N files at once over N connections (default 1, at most ${MAX_MIRROR_CONNECTIONS})`,
    },
    { name: "delete", help: "remove destination files the source does not have" },
    { name: "dry-run", short: "n", help: "print what would be done, change nothing" },
    { name: "verify", help: "compare SHA-256 with the server's HASH, when it has one" },
  ],
  async run(context: ClientCommandContext) {
    const { options, positionals, io, signal, connect, progress } = context;
    if (positionals.length !== 2) {
      throw new CliUsageError("mirror needs a SOURCE and a DESTINATION");
    }
    const [first, second] = positionals;
    if (isFtpUrl(first) === isFtpUrl(second)) {
      throw new CliUsageError(
        "Exactly one of SOURCE and DESTINATION must be an ftp:// or ftps:// URL",
      );
    }
    const direction: MirrorDirection = isFtpUrl(first) ? "download" : "upload";
    const target = parseFtpTarget(direction === "download" ? first : second);
    const remoteRoot = remoteNormalize(target.path);
    const localRoot = localResolve(io.cwd, direction === "download" ? second : first);
    const parallelText = options.get("parallel");
    const parallel = typeof parallelText === "string"
      ? parseIntegerOption("parallel", parallelText, 1, MAX_MIRROR_CONNECTIONS)
      : 1;
    const started = performance.now();

    if (direction === "upload") {
      const root = await lstat(localRoot);
      if (!root.isDirectory()) throw new CliUsageError(`${first} is not a local directory`);
    }
    const client = await connect(target);
    let localTree: Map<string, MirrorEntry>;
    let remoteTree: Map<string, MirrorEntry>;
    if (direction === "download") {
      if (!(await client.isDir(remoteRoot, { signal }))) {
        throw new CliUsageError(`${remoteRoot} is not a directory on the server`);
      }
      remoteTree = await readRemoteTree(client, remoteRoot, signal);
      localTree = await readLocalTree(localRoot);
    } else {
      localTree = await readLocalTree(localRoot);
      remoteTree = (await client.isDir(remoteRoot, { signal }))
        ? await readRemoteTree(client, remoteRoot, signal)
        : new Map();
    }
    const [sourceTree, destinationTree] = direction === "download"
      ? [remoteTree, localTree]
      : [localTree, remoteTree];
    const plan = planMirror(sourceTree, destinationTree, direction);
    const remove = options.has("delete") ? plan.extra : [];

    if (options.has("dry-run")) {
      for (const path of remove) io.print(`delete ${path}\n`);
      for (const path of plan.directories) io.print(`mkdir ${path}/\n`);
      for (const path of plan.copy) io.print(`copy ${path}\n`);
      io.print(
        `mirror (dry run): ${plan.copy.length} to copy, ${plan.unchanged.length} unchanged, ` +
          `${remove.length} to delete\n`,
      );
      return;
    }

    const failures: [string, unknown][] = [];
    const remotePath = (path: string) => remoteJoin(remoteRoot, path);
    const localPath = (path: string) => {
      const absolute = localJoin(localRoot, ...path.split("/"));
      const rel = localRelative(localRoot, absolute);
      if (rel.startsWith("..")) {
        throw new FtpError(`Refusing a path that leaves ${localRoot}: ${path}`);
      }
      return absolute;
    };

    // Deletions, then directories, on the first connection: both are quick.
    for (const path of remove) {
      const entry = destinationTree.get(path)!;
      try {
        if (direction === "download") await rm(localPath(path), { recursive: true, force: true });
        else if (entry.type === "dir") await client.removeDirectory(remotePath(path), { signal });
        else await client.removeFile(remotePath(path), { signal });
      } catch (err) {
        failures.push([path, err]);
      }
    }
    if (direction === "download") await mkdir(localRoot, { recursive: true });
    else await client.makeDirectory(remoteRoot, { parents: true, signal });
    for (const path of plan.directories) {
      if (direction === "download") await mkdir(localPath(path), { recursive: true });
      else await client.makeDirectory(remotePath(path), { parents: true, signal });
    }

    const copyBytes = plan.copy.reduce((n, p) => n + sourceTree.get(p)!.size, 0);
    progress?.expect(copyBytes, plan.copy.length);
    const queue = [...plan.copy];
    let copied = 0;
    const copyOne = async (worker: Client, path: string) => {
      const entry = sourceTree.get(path)!;
      const transfer = {
        writeInto: true,
        verify: options.has("verify"),
        onProgress: progress?.callback,
        signal,
      };
      if (direction === "download") {
        const local = localPath(path);
        await worker.download(remotePath(path), local, transfer);
        if (entry.modifiedAt) await utimes(local, new Date(), entry.modifiedAt);
      } else {
        await worker.upload(localPath(path), remotePath(path), transfer);
      }
      copied++;
    };
    const work = async (worker: Client) => {
      while (queue.length && !signal.aborted) {
        const path = queue.shift()!;
        try {
          await copyOne(worker, path);
        } catch (err) {
          if (signal.aborted) throw err;
          failures.push([path, err]);
          // A broken connection cannot take more files; the other workers go on.
          if (!worker.connected) return;
        }
      }
    };
    const extraWorkers = Math.min(parallel, plan.copy.length) - 1;
    const workers = [work(client)];
    for (let i = 0; i < extraWorkers; i++) {
      workers.push(
        connect(target).then(work, (err) => {
          const text = `mirror: an extra connection failed, going on with fewer: ${
            err instanceof Error ? err.message : String(err)
          }`;
          if (progress) progress.message(text);
          else io.printError(text + "\n");
        }),
      );
    }
    await Promise.all(workers);
    for (const path of queue) failures.push([path, new FtpError("No working connection was left")]);

    const seconds = (performance.now() - started) / 1000;
    io.print(
      `mirror: ${copied} copied (${
        formatByteSize(copyBytes)
      }), ${plan.unchanged.length} unchanged, ` +
        `${remove.length} deleted, ${failures.length} failed in ${formatDuration(seconds)}\n`,
    );
    if (failures.length) {
      throw new MirrorIncompleteError(failures, plan.copy.length + remove.length);
    }
  },
};

/** The remote tree under `root`, by relative path (links and others left out). */
async function readRemoteTree(
  client: Client,
  root: string,
  signal: AbortSignal,
): Promise<Map<string, MirrorEntry>> {
  const tree = new Map<string, MirrorEntry>();
  const prefix = root === "/" ? "/" : root + "/";
  for await (const [path, info] of client.list(root, { recursive: true, signal })) {
    if (info.type !== "file" && info.type !== "dir") continue;
    const normalized = remoteNormalize(path);
    if (!normalized.startsWith(prefix)) continue;
    tree.set(normalized.slice(prefix.length), {
      type: info.type,
      size: info.size ?? 0,
      modifiedAt: info.modifiedAt,
    });
  }
  return tree;
}

/** The local tree under `root` (missing: empty), by relative path with `/`. */
async function readLocalTree(root: string): Promise<Map<string, MirrorEntry>> {
  const tree = new Map<string, MirrorEntry>();
  const pending: string[] = [""];
  while (pending.length) {
    const dir = pending.shift()!;
    let names: string[];
    try {
      names = await readdir(dir ? localJoin(root, ...dir.split("/")) : root);
    } catch (err) {
      if (dir === "" && (err as { code?: string }).code === "ENOENT") return tree;
      throw err;
    }
    for (const name of names.sort()) {
      const rel = dir ? `${dir}/${name}` : name;
      const info = await lstat(localJoin(root, ...rel.split("/")));
      if (info.isDirectory()) {
        tree.set(rel, { type: "dir", size: 0, modifiedAt: info.mtime });
        pending.push(rel);
      } else if (info.isFile()) {
        tree.set(rel, { type: "file", size: info.size, modifiedAt: info.mtime });
      }
    }
  }
  return tree;
}

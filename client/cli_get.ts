/**
 * `ftpkit get`: download a file (or, with `-r`, a tree) to a local path or
 * to standard output.
 *
 * @module
 */

import { CliUsageError } from "./cli_arguments.ts";
import type { ClientCommandContext, ClientCommandDefinition } from "./cli_command.ts";
import { parseFtpTarget } from "./cli_connection.ts";
import { downloadTargetPath } from "./cli_local_paths.ts";

/** `ftpkit get [options] URL [LOCAL]`. */
export const GET_COMMAND: ClientCommandDefinition = {
  name: "get",
  synopsis: "get [options] URL [LOCAL]",
  description: `Download the file the URL names. LOCAL is the file to write, or an existing
directory to put it in (default: the current directory); "-" writes to standard
output. Files are written to a temporary name and renamed when complete.`,
  options: [
    { name: "continue", short: "c", help: "resume a partial download (REST)" },
    { name: "recursive", short: "r", help: "download a directory tree (see also: mirror)" },
    { name: "verify", help: "compare SHA-256 with the server's HASH, when it has one" },
  ],
  async run({ options, positionals, io, signal, connect, progress }: ClientCommandContext) {
    if (positionals.length < 1 || positionals.length > 2) {
      throw new CliUsageError("get needs a URL and at most one local path");
    }
    const target = parseFtpTarget(positionals[0]);
    const local = positionals[1];
    if (local === "-" && options.has("recursive")) {
      throw new CliUsageError("-r cannot write a tree to standard output");
    }
    const client = await connect(target);
    const info = await client.stat(target.path, { signal });
    if (info.type === "dir" && !options.has("recursive")) {
      throw new CliUsageError(`${target.path} is a directory: use get -r or mirror`);
    }
    const onProgress = progress?.callback;
    if (local === "-") {
      const download = await client.downloadStream(target.path, {
        signal,
        onProgress,
        total: info.size,
      });
      try {
        for await (const chunk of download.readable as unknown as AsyncIterable<Uint8Array>) {
          await io.writeOutput(chunk);
        }
        await download.finish();
      } catch (err) {
        await download.abort().catch(() => {});
        throw err;
      }
      return;
    }
    const destination = downloadTargetPath(target.path, local, io.cwd);
    await client.download(target.path, destination, {
      writeInto: true,
      resume: options.has("continue"),
      verify: options.has("verify"),
      onProgress,
      signal,
    });
  },
};

/**
 * `ftpkit put`: upload local files (or, with `-r`, trees, or standard input).
 *
 * @module
 */

import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { CliUsageError } from "./cli_arguments.ts";
import type { ClientCommandContext, ClientCommandDefinition } from "./cli_command.ts";
import { isFtpUrl, parseFtpTarget } from "./cli_connection.ts";

/** `ftpkit put [options] LOCAL... URL`. */
export const PUT_COMMAND: ClientCommandDefinition = {
  name: "put",
  synopsis: "put [options] LOCAL... URL",
  description: `Upload local files. The URL names the remote directory to put them in (when
it ends with "/" or is an existing directory) or, for one file, the remote file
name. LOCAL "-" uploads standard input to the file the URL names.`,
  options: [
    { name: "continue", short: "c", help: "resume a partial upload (REST, or APPE without REST)" },
    { name: "recursive", short: "r", help: "upload directories with everything in them" },
    { name: "verify", help: "compare SHA-256 with the server's HASH, when it has one" },
  ],
  async run({ options, positionals, io, signal, connect, progress }: ClientCommandContext) {
    if (positionals.length < 2 || !isFtpUrl(positionals[positionals.length - 1])) {
      throw new CliUsageError("put needs local paths and then a URL");
    }
    const target = parseFtpTarget(positionals[positionals.length - 1]);
    const sources = positionals.slice(0, -1);
    const onProgress = progress?.callback;
    if (sources.includes("-")) {
      if (sources.length !== 1) throw new CliUsageError(`"-" (standard input) must be alone`);
      if (target.trailingSlash) throw new CliUsageError("with -, the URL must name a file");
      const client = await connect(target);
      const upload = await client.uploadStream(target.path, { signal, onProgress });
      try {
        await io.readInput().pipeTo(upload.writable, { signal });
        await upload.finish();
      } catch (err) {
        await upload.abort().catch(() => {});
        throw err;
      }
      return;
    }
    // Check every source before connecting, so a typo fails fast.
    const locals: string[] = [];
    for (const source of sources) {
      const path = resolve(io.cwd, source);
      const info = await stat(path);
      if (info.isDirectory() && !options.has("recursive")) {
        throw new CliUsageError(`${source} is a directory: use put -r or mirror`);
      }
      locals.push(path);
    }
    const client = await connect(target);
    const intoDirectory = locals.length > 1 || target.trailingSlash ||
      await client.isDir(target.path, { signal });
    for (const local of locals) {
      await client.upload(local, target.path, {
        writeInto: !intoDirectory,
        resume: options.has("continue"),
        verify: options.has("verify"),
        onProgress,
        signal,
      });
    }
  },
};

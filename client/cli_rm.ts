/**
 * `ftpkit rm`: remove remote files (and, with `-r`, directories).
 *
 * @module
 */

import { StatusCodeError } from "../streams/errors.ts";
import { CliUsageError } from "./cli_arguments.ts";
import {
  type ClientCommandContext,
  type ClientCommandDefinition,
  sameServerTargets,
} from "./cli_command.ts";
import { parseFtpTarget } from "./cli_connection.ts";

/** `ftpkit rm [-r] [-f] URL...`. */
export const REMOVE_COMMAND: ClientCommandDefinition = {
  name: "rm",
  synopsis: "rm [options] URL...",
  description: `Remove the remote files the URLs name (all on one server). With -r, also
directories and everything in them.`,
  options: [
    { name: "recursive", short: "r", help: "remove directories and their contents" },
    { name: "force", short: "f", help: "ignore paths that do not exist" },
  ],
  async run({ options, positionals, signal, connect }: ClientCommandContext) {
    if (positionals.length < 1) throw new CliUsageError("rm needs at least one URL");
    const targets = sameServerTargets(positionals.map(parseFtpTarget));
    for (const t of targets) {
      if (t.path === "/") throw new CliUsageError("Refusing to remove the root directory");
    }
    const client = await connect(targets[0]);
    for (const target of targets) {
      if (options.has("force") && !(await client.exists(target.path, { signal }))) continue;
      if (options.has("recursive")) {
        await client.remove(target.path, { signal });
      } else if (await client.isDir(target.path, { signal })) {
        throw new CliUsageError(`${target.path} is a directory: use rm -r`);
      } else {
        await client.removeFile(target.path, { signal }).catch((err) => {
          if (err instanceof StatusCodeError && options.has("force")) return;
          throw err;
        });
      }
    }
  },
};

/**
 * `ftpkit mkdir`: create remote directories.
 *
 * @module
 */

import { CliUsageError } from "./cli_arguments.ts";
import {
  type ClientCommandContext,
  type ClientCommandDefinition,
  sameServerTargets,
} from "./cli_command.ts";
import { parseFtpTarget } from "./cli_connection.ts";

/** `ftpkit mkdir [-p] URL...`. */
export const MAKE_DIRECTORY_COMMAND: ClientCommandDefinition = {
  name: "mkdir",
  synopsis: "mkdir [options] URL...",
  description: "Create the remote directories the URLs name (all on one server).",
  options: [
    { name: "parents", short: "p", help: "create missing parents; no error if it exists" },
  ],
  async run({ options, positionals, signal, connect }: ClientCommandContext) {
    if (positionals.length < 1) throw new CliUsageError("mkdir needs at least one URL");
    const targets = sameServerTargets(positionals.map(parseFtpTarget));
    const client = await connect(targets[0]);
    for (const target of targets) {
      await client.makeDirectory(target.path, { parents: options.has("parents"), signal });
    }
  },
};

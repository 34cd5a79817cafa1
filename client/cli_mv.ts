/**
 * `ftpkit mv`: rename or move a remote file or directory.
 *
 * @module
 */

import { isAbsolute, join, name, normalize, parent } from "../pathio/posix.ts";
import { CliUsageError } from "./cli_arguments.ts";
import {
  type ClientCommandContext,
  type ClientCommandDefinition,
  sameServerTargets,
} from "./cli_command.ts";
import { isFtpUrl, parseFtpTarget } from "./cli_connection.ts";

/**
 * The remote path `destination` names for a move of `source`: a URL's path,
 * an absolute path, or a path relative to the source's directory. A
 * destination ending with `/` is a directory to move into.
 */
export function moveDestinationPath(source: string, destination: string): string {
  const intoDirectory = destination.endsWith("/");
  let path = destination;
  if (isFtpUrl(destination)) path = parseFtpTarget(destination).path;
  else if (!isAbsolute(destination)) path = join(parent(source), destination);
  return intoDirectory ? join(path, name(source)) : normalize(path);
}

/** `ftpkit mv URL DESTINATION`. */
export const MOVE_COMMAND: ClientCommandDefinition = {
  name: "mv",
  synopsis: "mv [options] URL DESTINATION",
  description: `Rename or move a remote file or directory (RNFR/RNTO). DESTINATION is a URL on
the same server, an absolute path, or a path relative to the source's
directory; ending it with "/" moves into that directory.`,
  options: [],
  async run({ positionals, signal, connect }: ClientCommandContext) {
    if (positionals.length !== 2) throw new CliUsageError("mv needs a URL and a destination");
    const source = parseFtpTarget(positionals[0]);
    if (isFtpUrl(positionals[1])) sameServerTargets([source, parseFtpTarget(positionals[1])]);
    if (source.path === "/") throw new CliUsageError("Refusing to move the root directory");
    const destination = moveDestinationPath(source.path, positionals[1]);
    const client = await connect(source);
    await client.rename(source.path, destination, { signal });
  },
};

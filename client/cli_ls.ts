/**
 * `ftpkit ls`: list a remote directory.
 *
 * @module
 */

import { CliUsageError } from "./cli_arguments.ts";
import type { ClientCommandContext, ClientCommandDefinition } from "./cli_command.ts";
import { parseFtpTarget } from "./cli_connection.ts";
import type { RemoteFileInfo } from "./parse_list.ts";

const TYPE_LETTERS: Record<string, string> = { dir: "d", file: "-", symlink: "l" };

/** One `ls -l` style line: type, size, modification time (UTC), path. */
export function formatLongListing(path: string, info: RemoteFileInfo): string {
  const type = TYPE_LETTERS[info.type] ?? "?";
  const size = info.size === undefined ? "-" : String(info.size);
  const time = info.modifiedAt ? info.modifiedAt.toISOString().slice(0, 16).replace("T", " ") : "-";
  const link = info.linkTarget ? ` -> ${info.linkTarget}` : "";
  return `${type} ${size.padStart(12)}  ${time.padEnd(16)}  ${path}${link}`;
}

/** `ftpkit ls [-l] [-R] [--json] URL`. */
export const LIST_COMMAND: ClientCommandDefinition = {
  name: "ls",
  synopsis: "ls [options] URL",
  description: `List the directory the URL names (MLSD when the server has it, else LIST).
Paths in the URL are absolute: ftp://host/pub is /pub.`,
  options: [
    { name: "long", short: "l", help: "type, size and modification time (UTC) of each entry" },
    { name: "recursive", short: "R", help: "descend into subdirectories" },
    { name: "json", help: "one JSON object per line: path, type, size, modifiedAt" },
  ],
  async run({ options, positionals, io, signal, connect }: ClientCommandContext) {
    if (positionals.length !== 1) throw new CliUsageError("ls needs exactly one URL");
    const target = parseFtpTarget(positionals[0]);
    const client = await connect(target);
    const root = target.path;
    const listing = client.list(root, { recursive: options.has("recursive"), signal });
    for await (const [path, info] of listing) {
      const shown = options.has("recursive") ? path : info.name;
      if (options.has("json")) {
        io.print(
          JSON.stringify({
            path,
            type: info.type,
            size: info.size ?? null,
            modifiedAt: info.modifiedAt?.toISOString() ?? null,
          }) + "\n",
        );
      } else if (options.has("long")) {
        io.print(formatLongListing(shown, info) + "\n");
      } else {
        io.print(shown + (info.type === "dir" ? "/" : "") + "\n");
      }
    }
  },
};

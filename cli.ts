/**
 * The ftpkit command line: `ftpkit <command> [options]`.
 *
 * - Deno: `deno run -A cli.ts serve --help`
 * - Bun: `bun cli.ts serve --help`
 * - Node: `node npm/cli.js serve --help` (the npm build)
 *
 * @module
 */

import process from "node:process";
import { runServe } from "./server/cli_serve.ts";
import { runClientCommand } from "./client/cli_command.ts";
import { GET_COMMAND } from "./client/cli_get.ts";
import { LIST_COMMAND } from "./client/cli_ls.ts";
import { MIRROR_COMMAND } from "./client/cli_mirror.ts";
import { MAKE_DIRECTORY_COMMAND } from "./client/cli_mkdir.ts";
import { MOVE_COMMAND } from "./client/cli_mv.ts";
import { PUT_COMMAND } from "./client/cli_put.ts";
import { REMOVE_COMMAND } from "./client/cli_rm.ts";

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: (argv) => runServe(argv),
};
for (
  const definition of [
    LIST_COMMAND,
    GET_COMMAND,
    PUT_COMMAND,
    MIRROR_COMMAND,
    REMOVE_COMMAND,
    MAKE_DIRECTORY_COMMAND,
    MOVE_COMMAND,
  ]
) {
  COMMANDS[definition.name] = (argv) => runClientCommand(definition, argv);
}

const USAGE = `Usage: ftpkit <command> [options]

Commands:
  serve   serve a directory over FTP (ftpkit serve --help)
  ls      list a remote directory
  get     download a file (or a tree with -r)
  put     upload files (or trees with -r)
  mirror  copy a tree either way, skipping unchanged files, --parallel N
  rm      remove remote files (-r: directories)
  mkdir   create remote directories (-p: with parents)
  mv      rename or move a remote file or directory

URLs: ftp://[user[:password]@]host[:port]/path, ftps:// for implicit TLS.
The password may come from $FTPKIT_PASSWORD instead. Run ftpkit <command> --help.

Exit codes: 0 success, 2 usage error, 3 connection or login failed,
4 transfer or remote error, 130 interrupted.
`;

const [command, ...rest] = process.argv.slice(2);
if (!command || command === "--help" || command === "-h") {
  console.log(USAGE);
} else if (Object.hasOwn(COMMANDS, command)) {
  process.exitCode = await COMMANDS[command](rest);
} else {
  console.error(`ftpkit: unknown command ${command}\n\n${USAGE}`);
  process.exitCode = 2;
}

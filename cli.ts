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

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: (argv) => runServe(argv),
};

const USAGE = `Usage: ftpkit <command> [options]

Commands:
  serve   serve a directory over FTP (ftpkit serve --help)
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

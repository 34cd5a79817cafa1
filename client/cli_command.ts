/**
 * What every client command of the CLI shares: parsing, `--help`,
 * connecting (one connection per server, more on request), the progress
 * display, Ctrl-C, closing the connections, and mapping errors to exit codes.
 *
 * @module
 */

import {
  type CliOptionSpec,
  CliUsageError,
  formatCliOptions,
  parseCliArguments,
} from "./cli_arguments.ts";
import {
  CONNECTION_OPTION_SPECS,
  connectionSettings,
  connectToTarget,
  type FtpTarget,
} from "./cli_connection.ts";
import {
  describeCliError,
  EXIT_INTERRUPTED,
  EXIT_SUCCESS,
  EXIT_USAGE_ERROR,
  exitCodeForError,
} from "./cli_exit_codes.ts";
import { type CliIO, processCliIO } from "./cli_io.ts";
import { CliProgressDisplay } from "./cli_progress.ts";
import type { Client } from "./client.ts";

/** A client command of the CLI. */
export interface ClientCommandDefinition {
  /** Command name (`"get"`). */
  name: string;
  /** Synopsis after `ftpkit` (`"get [options] URL [LOCAL]"`). */
  synopsis: string;
  /** What it does, a few lines. */
  description: string;
  /** Options of this command (the connection options are added). */
  options: readonly CliOptionSpec[];
  /** Does the work; throws on failure. */
  run(context: ClientCommandContext): Promise<void>;
}

/** What a command's `run` gets. */
export interface ClientCommandContext {
  /** Parsed options, by long name. */
  options: ReadonlyMap<string, string | true>;
  /** Arguments that are not options. */
  positionals: readonly string[];
  /** The process. */
  io: CliIO;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Open a new connection to `target`'s server and log in; closed when the command ends. */
  connect(target: FtpTarget): Promise<Client>;
  /** The progress display (on stderr), or `null` with `--quiet`. */
  progress: CliProgressDisplay | null;
}

const COMMON_OPTION_SPECS: readonly CliOptionSpec[] = [
  { name: "quiet", short: "q", help: "no progress output" },
  { name: "help", short: "h", help: "show this help" },
];

const EXIT_CODES_HELP = `Exit codes: 0 success, 2 usage error, 3 connection or login failed,
4 transfer or remote error, 130 interrupted.`;

/** The `--help` text of a command. */
export function clientCommandHelp(definition: ClientCommandDefinition): string {
  return `Usage: ftpkit ${definition.synopsis}

${definition.description}

Options:
${formatCliOptions([...definition.options, ...COMMON_OPTION_SPECS])}

Connection options:
${formatCliOptions(CONNECTION_OPTION_SPECS)}

${EXIT_CODES_HELP}
`;
}

/**
 * Run a client command with `argv` (the arguments after its name) and
 * return the exit code; errors are printed to stderr, never thrown.
 */
export async function runClientCommand(
  definition: ClientCommandDefinition,
  argv: readonly string[],
  io: CliIO = processCliIO(),
): Promise<number> {
  const controller = new AbortController();
  const clients: Client[] = [];
  let progress: CliProgressDisplay | null = null;
  const removeInterruptHandler = io.onInterrupt(() => controller.abort());
  try {
    const parsed = parseCliArguments(argv, [
      ...definition.options,
      ...COMMON_OPTION_SPECS,
      ...CONNECTION_OPTION_SPECS,
    ]);
    if (parsed.options.has("help")) {
      io.print(clientCommandHelp(definition));
      return EXIT_SUCCESS;
    }
    progress = parsed.options.has("quiet") ? null : new CliProgressDisplay({
      write: io.printError,
      interactive: io.errorIsTerminal,
      columns: io.errorColumns,
    });
    const context: ClientCommandContext = {
      options: parsed.options,
      positionals: parsed.positionals,
      io,
      signal: controller.signal,
      progress,
      connect: async (target) => {
        const client = await connectToTarget(
          target,
          connectionSettings(target, parsed.options, io),
          controller.signal,
        );
        clients.push(client);
        return client;
      },
    };
    await definition.run(context);
    progress?.close();
    await Promise.all(clients.map((c) => c.quit().catch(() => c.close())));
    return EXIT_SUCCESS;
  } catch (err) {
    progress?.close();
    for (const client of clients) client.close();
    if (controller.signal.aborted) {
      io.printError(`ftpkit ${definition.name}: interrupted\n`);
      return EXIT_INTERRUPTED;
    }
    const code = exitCodeForError(err);
    io.printError(`ftpkit ${definition.name}: ${describeCliError(err)}\n`);
    if (code === EXIT_USAGE_ERROR) io.printError(`Try: ftpkit ${definition.name} --help\n`);
    return code;
  } finally {
    removeInterruptHandler();
  }
}

/**
 * Check that `targets` share one server (scheme, host, port, user) and return them.
 * @throws {CliUsageError} otherwise.
 */
export function sameServerTargets(targets: readonly FtpTarget[]): FtpTarget[] {
  const first = targets[0];
  for (const t of targets) {
    if (t.origin !== first.origin) {
      throw new CliUsageError(`All URLs must name the same server: ${first.origin} vs ${t.origin}`);
    }
  }
  return [...targets];
}

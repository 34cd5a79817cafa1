/**
 * Command-line argument parsing shared by the client commands of the
 * `ftpkit` CLI: `--name value`, `--name=value`, `-x value`, clustered short
 * flags (`-rp`), `--` to end options.
 *
 * @module
 */

import { FtpError } from "../streams/errors.ts";

/**
 * The command line is wrong (unknown option, missing value, wrong number of
 * arguments). The CLI prints the message with the command's usage and exits
 * with code 2.
 */
export class CliUsageError extends FtpError {}

/** One option a command accepts. */
export interface CliOptionSpec {
  /** Long name without dashes (`"parallel"`). */
  name: string;
  /** One-letter alias without the dash (`"P"`). */
  short?: string;
  /** Whether the option takes a value (default: it is a flag). */
  takesValue?: boolean;
  /** Value placeholder for the help text (`"N"`). */
  valueName?: string;
  /** One line of help. */
  help: string;
}

/** The result of {@linkcode parseCliArguments}. */
export interface ParsedCliArguments {
  /** Options seen, by long name: `true` for flags, the last value for valued options. */
  options: Map<string, string | true>;
  /** Arguments that are not options, in order. */
  positionals: string[];
}

/**
 * Parse `argv` against `specs`. A lone `-` is a positional (stdin/stdout).
 *
 * @throws {CliUsageError} on an unknown option or a missing value.
 */
export function parseCliArguments(
  argv: readonly string[],
  specs: readonly CliOptionSpec[],
): ParsedCliArguments {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new CliUsageError(`Unknown option: --${name}`);
      if (!spec.takesValue) {
        if (eq > 0) throw new CliUsageError(`--${name} takes no value`);
        options.set(spec.name, true);
      } else if (eq > 0) {
        options.set(spec.name, arg.slice(eq + 1));
      } else {
        if (i + 1 >= argv.length) throw new CliUsageError(`--${name} needs a value`);
        options.set(spec.name, argv[++i]);
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      for (let k = 1; k < arg.length; k++) {
        const spec = byShort.get(arg[k]);
        if (!spec) throw new CliUsageError(`Unknown option: -${arg[k]}`);
        if (!spec.takesValue) {
          options.set(spec.name, true);
          continue;
        }
        const rest = arg.slice(k + 1);
        if (rest) options.set(spec.name, rest);
        else if (i + 1 < argv.length) options.set(spec.name, argv[++i]);
        else throw new CliUsageError(`-${arg[k]} needs a value`);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { options, positionals };
}

/**
 * The help lines of `specs`, aligned.
 */
export function formatCliOptions(specs: readonly CliOptionSpec[]): string {
  const heads = specs.map((s) =>
    `${s.short ? `-${s.short}, ` : "    "}--${s.name}${
      s.takesValue ? ` ${s.valueName ?? "VALUE"}` : ""
    }`
  );
  const width = Math.max(...heads.map((h) => h.length));
  return specs.map((s, i) => `  ${heads[i].padEnd(width)}  ${s.help}`).join("\n");
}

/**
 * Parse a byte count with an optional binary suffix: `512`, `64k`, `1.5M`, `2G`.
 *
 * @throws {CliUsageError} on anything else.
 */
export function parseByteCount(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new CliUsageError(`Not a byte count: ${text} (examples: 512, 64k, 1.5M)`);
  const scale = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()]!;
  const value = Math.round(Number(m[1]) * scale);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new CliUsageError(`Not a positive byte count: ${text}`);
  }
  return value;
}

/**
 * Parse a whole number within `[min, max]` for option `name`.
 *
 * @throws {CliUsageError} when `text` is not such a number.
 */
export function parseIntegerOption(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new CliUsageError(`--${name} must be a whole number from ${min} to ${max}: ${text}`);
  }
  return value;
}

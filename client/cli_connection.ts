/**
 * How the client commands connect: `ftp://` and `ftps://` URLs with
 * credentials, the password from an environment variable, and the options
 * every client command shares (TLS, active mode, timeouts, rate limit).
 *
 * @module
 */

import { readFileSync } from "node:fs";
import {
  type CliOptionSpec,
  CliUsageError,
  parseByteCount,
  parseIntegerOption,
} from "./cli_arguments.ts";
import { CliConnectionError } from "./cli_exit_codes.ts";
import type { CliIO } from "./cli_io.ts";
import { Client, type ContextOptions } from "./client.ts";
import { type FtpUrlParts, parseFtpUrl } from "./url.ts";

/** The environment variable read for the password when the URL has none. */
export const DEFAULT_PASSWORD_VARIABLE = "FTPKIT_PASSWORD";

/** Options every client command accepts. */
export const CONNECTION_OPTION_SPECS: readonly CliOptionSpec[] = [
  {
    name: "user",
    short: "u",
    takesValue: true,
    valueName: "NAME",
    help: "log in as NAME (overrides the URL's user)",
  },
  {
    name: "password-env",
    takesValue: true,
    valueName: "VAR",
    help: `read the password from $VAR (default ${DEFAULT_PASSWORD_VARIABLE}, if the URL has none)`,
  },
  { name: "tls", help: "upgrade ftp:// with AUTH TLS (explicit FTPS); ftps:// is implicit TLS" },
  {
    name: "ca-cert",
    takesValue: true,
    valueName: "FILE",
    help: "trust the CA certificates in FILE (PEM)",
  },
  { name: "insecure", short: "k", help: "do not verify the server's TLS certificate" },
  { name: "active", help: "active mode: the server connects back to us (PORT/EPRT)" },
  {
    name: "limit-rate",
    takesValue: true,
    valueName: "RATE",
    help: "bytes per second per connection (512k, 2M)",
  },
  {
    name: "timeout",
    takesValue: true,
    valueName: "SECONDS",
    help: "limit of each connect and wait (default 30)",
  },
  { name: "verbose", short: "v", help: "print the FTP commands and replies (passwords masked)" },
];

/** A parsed `ftp://` or `ftps://` argument. */
export interface FtpTarget extends FtpUrlParts {
  /** Scheme, host, port and user: targets with the same origin share a connection. */
  origin: string;
  /** Whether the URL's path ends with `/` (names a directory). */
  trailingSlash: boolean;
}

/** Whether `text` looks like an FTP URL rather than a local path. */
export function isFtpUrl(text: string): boolean {
  return /^ftps?:\/\//i.test(text);
}

/**
 * Parse a command-line URL.
 * @throws {CliUsageError} when it is not a valid `ftp://` or `ftps://` URL.
 */
export function parseFtpTarget(text: string): FtpTarget {
  if (!isFtpUrl(text)) throw new CliUsageError(`Not an ftp:// or ftps:// URL: ${text}`);
  let parts: FtpUrlParts;
  try {
    parts = parseFtpUrl(text);
  } catch (err) {
    throw new CliUsageError(`Bad URL: ${text}`, { cause: err });
  }
  if (!parts.host) throw new CliUsageError(`The URL has no host: ${text}`);
  const scheme = parts.implicitTls ? "ftps" : "ftp";
  return {
    ...parts,
    origin: `${scheme}://${parts.user}@${parts.host}:${parts.port}`,
    trailingSlash: parts.path.length > 1 && parts.path.endsWith("/"),
  };
}

/** Turn the parsed common options into `Client.context` options for `target`. */
export function connectionSettings(
  target: FtpTarget,
  options: ReadonlyMap<string, string | true>,
  io: CliIO,
): ContextOptions {
  const text = (name: string) => {
    const v = options.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const user = text("user") ?? target.user;
  const variable = text("password-env");
  let password: string | undefined = target.password || undefined;
  if (variable !== undefined) {
    password = io.env[variable];
    if (password === undefined) throw new CliUsageError(`$${variable} is not set`);
  } else if (password === undefined) {
    password = io.env[DEFAULT_PASSWORD_VARIABLE];
  }
  const caFile = text("ca-cert");
  let caCerts: string[] | undefined;
  if (caFile !== undefined) {
    try {
      caCerts = [readFileSync(caFile, "utf8")];
    } catch (err) {
      throw new CliUsageError(`Cannot read --ca-cert ${caFile}`, { cause: err });
    }
  }
  const seconds = text("timeout");
  const timeoutMs = seconds === undefined
    ? 30_000
    : parseIntegerOption("timeout", seconds, 1, 86_400) * 1000;
  const rate = text("limit-rate");
  const limit = rate === undefined ? null : parseByteCount(rate);
  if (options.has("tls") && target.implicitTls) {
    throw new CliUsageError("--tls is for ftp:// URLs; ftps:// already uses TLS from the start");
  }
  return {
    port: target.port,
    user,
    password,
    implicitTls: target.implicitTls,
    upgradeToTls: options.has("tls"),
    tls: { caCerts, rejectUnauthorized: !options.has("insecure") },
    passive: !options.has("active"),
    socketTimeout: timeoutMs,
    connectionTimeout: timeoutMs,
    readSpeedLimit: limit,
    writeSpeedLimit: limit,
    log: options.has("verbose")
      ? (direction, line) => io.printError(`${direction} ${line}\n`)
      : undefined,
  };
}

/**
 * Connect and log in to `target`'s server.
 * @throws {CliConnectionError} when that fails (exit code 3).
 */
export async function connectToTarget(
  target: FtpTarget,
  settings: ContextOptions,
  signal: AbortSignal,
): Promise<Client> {
  try {
    return await Client.context(target.host, { ...settings, signal });
  } catch (err) {
    const where = target.host.includes(":") ? `[${target.host}]` : target.host;
    throw new CliConnectionError(`Cannot connect to ${where}:${target.port} as ${settings.user}`, {
      cause: err,
    });
  }
}

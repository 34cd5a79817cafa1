/**
 * The process the CLI runs in: standard streams, terminal, environment,
 * working directory. CLI code, not core: it uses `node:process`, which all
 * three runtimes provide. Commands take a {@linkcode CliIO} so they can be
 * driven without a real process.
 *
 * @module
 */

import process from "node:process";

/** What a CLI command reads from and writes to. */
export interface CliIO {
  /** Write text to standard output. */
  print(text: string): void;
  /** Write text to standard error. */
  printError(text: string): void;
  /** Write bytes to standard output, waiting while it is full. */
  writeOutput(bytes: Uint8Array): Promise<void>;
  /** Standard input as a stream. */
  readInput(): ReadableStream<Uint8Array>;
  /** Whether standard error is a terminal (progress bars instead of plain lines). */
  errorIsTerminal: boolean;
  /** Width of the terminal on standard error, when it is one. */
  errorColumns(): number | undefined;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** Working directory, for relative local paths. */
  cwd: string;
  /** Registers a handler for Ctrl-C (SIGINT); returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
}

/** The {@linkcode CliIO} of the running process. */
export function processCliIO(): CliIO {
  return {
    print: (text) => void process.stdout.write(text),
    printError: (text) => void process.stderr.write(text),
    writeOutput: (bytes) =>
      new Promise<void>((resolve, reject) => {
        const ok = process.stdout.write(bytes, (err) => err ? reject(err) : undefined);
        if (ok) resolve();
        else process.stdout.once("drain", () => resolve());
      }),
    readInput: () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          process.stdin.on("data", (chunk: Uint8Array) => {
            controller.enqueue(new Uint8Array(chunk));
            if ((controller.desiredSize ?? 1) <= 0) process.stdin.pause();
          });
          process.stdin.on("end", () => controller.close());
          process.stdin.on("error", (err) => controller.error(err));
        },
        pull() {
          process.stdin.resume();
        },
        cancel() {
          process.stdin.destroy();
        },
      }),
    errorIsTerminal: Boolean(process.stderr.isTTY),
    errorColumns: () => process.stderr.columns,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      process.once("SIGINT", handler);
      return () => void process.removeListener("SIGINT", handler);
    },
  };
}

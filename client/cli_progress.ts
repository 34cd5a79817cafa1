/**
 * The CLI's progress display. On a terminal it redraws one status line
 * (percentage, bar, bytes, rate, ETA, current file); otherwise it prints a
 * plain progress line now and then, without escape sequences, so logs stay
 * readable. Either way each finished file gets one line.
 *
 * @module
 */

import { formatByteRate, formatByteSize, formatDuration } from "./cli_format.ts";
import type { ProgressCallback, TransferProgress } from "./progress.ts";

/** Options of {@linkcode CliProgressDisplay}. */
export interface CliProgressDisplayOptions {
  /** Where the display writes (the CLI passes stderr). */
  write: (text: string) => void;
  /** Redraw a status line in place (a terminal) instead of printing plain lines. */
  interactive: boolean;
  /** Width of the terminal (default 80). */
  columns?: () => number | undefined;
  /** Least time between two plain progress lines, in ms (default 1000). */
  plainIntervalMs?: number;
  /** Least time between two redraws on a terminal, in ms (default 100). */
  redrawIntervalMs?: number;
  /** Clock in ms (default `performance.now`). */
  now?: () => number;
}

interface TransferState {
  bytes: number;
  total?: number;
  start: number;
}

const RATE_WINDOW_MS = 5000;
const BAR_WIDTH = 24;

/**
 * Aggregates the progress reports of one or more transfers (parallel ones
 * too) into one display. Pass {@linkcode CliProgressDisplay.callback} as
 * `onProgress`; call {@linkcode CliProgressDisplay.expect} first when the
 * totals of a whole tree are known, and {@linkcode CliProgressDisplay.close}
 * at the end.
 */
export class CliProgressDisplay {
  readonly #options: CliProgressDisplayOptions;
  readonly #now: () => number;
  readonly #transfers = new Map<string, TransferState>();
  readonly #samples: [time: number, bytes: number][] = [];
  readonly #start: number;
  #expectedBytes: number | null = null;
  #expectedFiles: number | null = null;
  #bytes = 0;
  #filesDone = 0;
  #current = "";
  #lastDraw = -Infinity;
  #lineShown = false;

  /**
   * A display that starts its clock now.
   *
   * @param options Where to write and how.
   */
  constructor(options: CliProgressDisplayOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    // Plain lines wait one interval: the first reports' rates are noise.
    if (!options.interactive) this.#lastDraw = this.#start;
  }

  /** Receives the `onProgress` reports of every transfer. */
  readonly callback: ProgressCallback = (report) => this.#onReport(report);

  /** Announce the totals of the whole job (several files), for the percentage and ETA. */
  expect(bytes: number, files: number): void {
    this.#expectedBytes = bytes;
    this.#expectedFiles = files;
  }

  /** Bytes moved so far by all transfers. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Print a message line without garbling the status line. */
  message(line: string): void {
    this.#clearLine();
    this.#options.write(line + "\n");
    if (this.#options.interactive) this.#lastDraw = -Infinity;
  }

  /** Remove the status line (on a terminal); call once at the end. */
  close(): void {
    this.#clearLine();
  }

  #onReport(report: TransferProgress): void {
    const key = `${report.direction} ${report.path}`;
    const now = this.#now();
    let state = this.#transfers.get(key);
    if (!state) {
      // The transfer began before its first report: estimate when from the reporter's rate.
      const running = report.bytesPerSecond > 0 ? (report.bytes / report.bytesPerSecond) * 1000 : 0;
      state = { bytes: 0, total: report.total, start: now - running };
      this.#transfers.set(key, state);
    }
    this.#bytes += Math.max(0, report.bytes - state.bytes);
    state.bytes = report.bytes;
    state.total = report.total ?? state.total;
    this.#current = report.path;
    this.#samples.push([now, this.#bytes]);
    while (this.#samples.length > 2 && now - this.#samples[0][0] > RATE_WINDOW_MS) {
      this.#samples.shift();
    }
    if (report.done) {
      this.#transfers.delete(key);
      this.#filesDone++;
      const seconds = (now - state.start) / 1000;
      const stopped = report.total !== undefined && report.bytes < report.total;
      this.message(
        stopped
          ? `${report.path}: stopped after ${formatByteSize(report.bytes)} of ${
            formatByteSize(report.total!)
          }`
          : `${report.path}: ${formatByteSize(report.bytes)} in ${formatDuration(seconds)} (${
            formatByteRate(report.bytesPerSecond)
          })`,
      );
      return;
    }
    const interval = this.#options.interactive
      ? this.#options.redrawIntervalMs ?? 100
      : this.#options.plainIntervalMs ?? 1000;
    if (now - this.#lastDraw < interval) return;
    this.#lastDraw = now;
    if (this.#options.interactive) this.#drawStatusLine(now);
    else this.#options.write(this.#plainLine(now) + "\n");
  }

  #rate(now: number): number {
    const [t0, b0] = this.#samples[0] ?? [this.#start, 0];
    const span = now - t0;
    if (span >= 500) return ((this.#bytes - b0) * 1000) / span;
    const elapsed = now - this.#start;
    return elapsed > 0 ? (this.#bytes * 1000) / elapsed : 0;
  }

  #total(): number | undefined {
    if (this.#expectedBytes !== null) return this.#expectedBytes;
    let sum = 0;
    for (const t of this.#transfers.values()) {
      if (t.total === undefined) return undefined;
      sum += t.total;
    }
    return this.#transfers.size ? sum : undefined;
  }

  #plainLine(now: number): string {
    const total = this.#total();
    const rate = this.#rate(now);
    const parts = [`${this.#filesPrefix()}${this.#current}:`];
    if (total) {
      const percent = Math.min(100, Math.floor((this.#bytes / total) * 100));
      parts.push(`${percent}%`, `${formatByteSize(this.#bytes)} of ${formatByteSize(total)},`);
    } else {
      parts.push(`${formatByteSize(this.#bytes)},`);
    }
    parts.push(formatByteRate(rate));
    if (total) parts[parts.length - 1] += `, ETA ${formatDuration((total - this.#bytes) / rate)}`;
    return parts.join(" ");
  }

  #drawStatusLine(now: number): void {
    const total = this.#total();
    const rate = this.#rate(now);
    let line: string;
    if (total) {
      const fraction = Math.min(1, this.#bytes / total);
      const filled = Math.round(fraction * BAR_WIDTH);
      line = `${String(Math.floor(fraction * 100)).padStart(3)}% [${"#".repeat(filled)}${
        ".".repeat(BAR_WIDTH - filled)
      }] ${formatByteSize(this.#bytes)}/${formatByteSize(total)}  ${formatByteRate(rate)}  ETA ${
        formatDuration((total - this.#bytes) / rate)
      }`;
    } else {
      line = `${formatByteSize(this.#bytes)}  ${formatByteRate(rate)}`;
    }
    line = this.#filesPrefix() + line;
    const reported = this.#options.columns?.();
    const columns = reported && reported >= 20 ? reported : 80;
    // The file name gets what is left of the line, shortened from the left.
    const room = columns - 1 - line.length - 2;
    if (room >= 8) {
      const name = this.#current.length > room
        ? "…" + this.#current.slice(this.#current.length - room + 1)
        : this.#current;
      line += `  ${name}`;
    } else if (line.length > columns - 1) {
      line = line.slice(0, columns - 1);
    }
    // \r returns to column 0; ESC[K erases the rest of the previous line.
    this.#options.write(`\r${line}\x1b[K`);
    this.#lineShown = true;
  }

  #filesPrefix(): string {
    return this.#expectedFiles !== null && this.#expectedFiles > 1
      ? `[${this.#filesDone}/${this.#expectedFiles}] `
      : "";
  }

  #clearLine(): void {
    if (!this.#lineShown) return;
    this.#options.write("\r\x1b[K");
    this.#lineShown = false;
  }
}

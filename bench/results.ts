/**
 * The result model of a benchmark run and the arithmetic on it (medians,
 * ratios to the best peer).
 *
 * @module
 */

/** Units of a figure. */
export type BenchUnit = "MiB/s" | "s";

/** One row (what is measured) of a group. */
export interface BenchRowSpec {
  /** Id (`stor`, `multi-retr`, `download`, ...). */
  id: string;
  /** Title in the table, sizes included. */
  title: string;
  /** Unit of the figure. */
  unit: BenchUnit;
  /** Whether a larger figure is better (throughput) or a smaller one (seconds). */
  better: "higher" | "lower";
}

/** All repeats of one row for one target. */
export interface BenchCell {
  /** Row id. */
  row: string;
  /** Target id. */
  target: string;
  /** Figures of the repeats that succeeded. */
  samples: number[];
  /** Peak RSS of the measured process over the repeats, MB. */
  peakRssMB?: number;
  /** Client rows: growth of the client's RSS during the transfer (high-water mark minus RSS before), MB. */
  growthMB?: number;
  /** Server rows: the driver's CPU seconds per wall second in the timed part (its own load), highest of the repeats. */
  driverLoad?: number;
  /** First error of a failed repeat. */
  error?: string;
}

/** One target of a group. */
export interface BenchTargetInfo {
  /** Id. */
  id: string;
  /** Label. */
  label: string;
  /** `ftpkit`, `peer` or `calibration`. */
  kind: "ftpkit" | "peer" | "calibration";
  /** Why it was skipped, when it was. */
  skipped?: string;
}

/** Results of one group (server or client). */
export interface BenchGroupResult {
  /** `server` or `client`. */
  group: "server" | "client";
  /** Heading of the group. */
  title: string;
  /** Rows in order. */
  rows: BenchRowSpec[];
  /** Targets in order. */
  targets: BenchTargetInfo[];
  /** Cells. */
  cells: BenchCell[];
}

/** A whole run. */
export interface BenchRun {
  /** ISO start time. */
  startedAt: string;
  /** Seconds the run took. */
  seconds: number;
  /** Machine and tool versions. */
  environment: Record<string, string>;
  /** Options as given. */
  options: Record<string, unknown>;
  /** 1-minute load average at the start, at the end and the highest seen (sampled every 5 s). */
  load: { start: number; end: number; max: number };
  /** Groups. */
  groups: BenchGroupResult[];
  /** Installs and builds done before measuring. */
  notes: string[];
}

/** Median of the samples (mean of the middle two for an even count). */
export function benchMedian(samples: number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The cell of a row and target. */
export function benchCell(group: BenchGroupResult, row: string, target: string) {
  return group.cells.find((c) => c.row === row && c.target === target);
}

/** The best peer's median of a row, and which peer it was. */
export function bestPeer(
  group: BenchGroupResult,
  row: BenchRowSpec,
): { target: string; median: number } | undefined {
  let best: { target: string; median: number } | undefined;
  for (const t of group.targets) {
    if (t.kind !== "peer" || t.skipped) continue;
    const median = benchMedian(benchCell(group, row.id, t.id)?.samples ?? []);
    if (median === undefined) continue;
    if (!best || isBetter(row, median, best.median)) best = { target: t.id, median };
  }
  return best;
}

/** Whether figure `a` is better than `b` on this row. */
export function isBetter(row: BenchRowSpec, a: number, b: number): boolean {
  return row.better === "higher" ? a > b : a < b;
}

/**
 * Speed relative to a reference figure: above 1 means faster than the reference,
 * on throughput rows (value / reference) and on time rows (reference / value) alike.
 */
export function speedRatio(row: BenchRowSpec, value: number, reference: number): number {
  return row.better === "higher" ? value / reference : reference / value;
}

/**
 * Printing of the suite's counts, one table per category, so every run shows
 * how many attempts were made and how many failed.
 *
 * @module
 */

/** Print `rows` (label, value) under `title` as a small aligned table. */
export function printRows(title: string, rows: [string, string | number][]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  console.log(`[reliability] ${title}\n${lines.join("\n")}`);
  // One machine-readable line for scripts/reliability.ts, which builds the summary table.
  console.log(`[reliability-json] ${JSON.stringify({ title, rows })}`);
}

/**
 * Whether the full counts were asked for (`FTPKIT_RELIABILITY_FULL=1`, set by
 * `scripts/reliability.ts --full`): 100,000 fuzz lines and 500 clients × 60 s
 * instead of the CI sizes.
 */
export const FULL_RUN: boolean = process.env.FTPKIT_RELIABILITY_FULL === "1";

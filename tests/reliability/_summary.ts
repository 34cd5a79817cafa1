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
}

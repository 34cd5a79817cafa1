/**
 * Markdown tables of a benchmark run: per group, the median of each row and
 * target with its speed ratio to the best peer, the peak memory, and a check
 * of ftpkit's goals.
 *
 * @module
 */

import {
  benchCell,
  type BenchGroupResult,
  benchMedian,
  type BenchRowSpec,
  type BenchRun,
  bestPeer,
  speedRatio,
} from "./results.ts";

const THROUGHPUT_ROWS = new Set(["stor", "retr", "idle-stor", "idle-retr"]);
const CROWD_ROWS = new Set([
  "logins",
  "quit",
  "idle-stor",
  "idle-retr",
  "multi-retr",
  "multi-stor",
]);
/** Goal: server peak RSS in the many-client rows. */
export const SERVER_RSS_GOAL_MB = 80;
/** Goal: growth of a client during a 1 GiB transfer ("a few block sizes"). */
export const CLIENT_GROWTH_GOAL_MB = 8;

function formatFigure(row: BenchRowSpec, value: number): string {
  if (row.unit === "s") return value < 10 ? value.toFixed(3) : value.toFixed(1);
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

/** The figure of a cell: median, ratio to the best peer, or why there is none. */
function figureCell(group: BenchGroupResult, row: BenchRowSpec, target: string): string {
  const info = group.targets.find((t) => t.id === target)!;
  if (info.skipped) return "–";
  const cell = benchCell(group, row.id, target);
  const median = benchMedian(cell?.samples ?? []);
  if (median === undefined) return cell?.error ? "failed" : "–";
  const best = bestPeer(group, row);
  const ratio = best ? ` (${speedRatio(row, median, best.median).toFixed(2)}×)` : "";
  const partial = cell && cell.error ? " ⚠" : "";
  const text = `${formatFigure(row, median)}${ratio}${partial}`;
  return best?.target === target ? `**${text}**` : text;
}

function table(header: string[], lines: string[][]): string {
  const out = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => i === 0 ? "---" : "---:").join(" | ")} |`,
  ];
  for (const line of lines) out.push(`| ${line.join(" | ")} |`);
  return out.join("\n");
}

/** Markdown of one group. */
export function groupMarkdown(group: BenchGroupResult): string {
  const targets = group.targets;
  const header = ["row", ...targets.map((t) => t.label)];
  const parts: string[] = [`## ${group.title}`, ""];
  parts.push(
    "Median of the repeats; in brackets the speed relative to the best peer of the row " +
      "(above 1× = faster; on time rows best/value). The best peer is in bold; ⚠ = some repeat failed.",
    "",
  );
  parts.push(table(
    header,
    group.rows.map((row) => [
      `${row.title}, ${row.unit}`,
      ...targets.map((t) => figureCell(group, row, t.id)),
    ]),
  ));
  parts.push("", "Peak RSS of the measured process, MB:", "");
  parts.push(table(
    header,
    group.rows.map((row) => [
      row.title,
      ...targets.map((t) => {
        const mb = benchCell(group, row.id, t.id)?.peakRssMB;
        return mb === undefined ? "–" : mb.toFixed(1);
      }),
    ]),
  ));
  if (group.group === "client") {
    parts.push(
      "",
      "Growth of the client process during the job (peak minus RSS before it), MB:",
      "",
    );
    parts.push(table(
      header,
      group.rows.map((row) => [
        row.title,
        ...targets.map((t) => {
          const mb = benchCell(group, row.id, t.id)?.growthMB;
          return mb === undefined ? "–" : mb.toFixed(1);
        }),
      ]),
    ));
  }
  const skipped = targets.filter((t) => t.skipped);
  if (skipped.length) {
    parts.push("", "Skipped: " + skipped.map((t) => `${t.label} (${t.skipped})`).join("; ") + ".");
  }
  const failures = group.cells.filter((c) => c.error);
  if (failures.length) {
    parts.push("", "Failures:", "");
    for (const c of failures) parts.push(`- ${c.target}, ${c.row}: ${c.error}`);
  }
  parts.push("", ...goalLines(group));
  return parts.join("\n");
}

/**
 * Whether each ftpkit target met its goals, row by row. Server: ahead of
 * pyftpdlib, aioftp and ftp-srv, ≥ 0.9× vsftpd on throughput rows, peak RSS
 * ≤ {@link SERVER_RSS_GOAL_MB} in the many-client rows. Client: ahead of
 * basic-ftp, ≥ 0.9× curl, growth ≤ {@link CLIENT_GROWTH_GOAL_MB} on the big transfers.
 */
export function goalLines(group: BenchGroupResult): string[] {
  const lines: string[] = [];
  const median = (row: string, target: string) =>
    benchMedian(benchCell(group, row, target)?.samples ?? []);
  const peers = group.targets.filter((t) => t.kind === "peer" && !t.skipped);
  const ceiling = group.targets.find((t) => t.kind === "calibration" && !t.skipped);
  // The fastest server of each row (any target but the null server).
  const fastest = (row: BenchRowSpec) => {
    let best: { target: string; median: number } | undefined;
    for (const t of group.targets) {
      if (t.kind === "calibration") continue;
      const m = median(row.id, t.id);
      if (m !== undefined && (!best || speedRatio(row, m, best.median) > 1)) {
        best = { target: t.id, median: m };
      }
    }
    return best;
  };
  if (group.group === "server") {
    const shares: string[] = [];
    const busy: string[] = [];
    for (const row of group.rows) {
      const top = fastest(row);
      const load = top && benchCell(group, row.id, top.target)?.driverLoad;
      if (load === undefined) continue;
      shares.push(`${row.id} ${load.toFixed(2)}`);
      if (load > 0.5) busy.push(row.id);
    }
    if (shares.length) {
      lines.push(
        `Driver CPU share in the timed part against the fastest server of each row (CPU s per s; ` +
          `below 0.5 means it could have gone at least 2× faster): ${shares.join(", ")}.` +
          (busy.length ? ` Above 0.5 on ${busy.join(", ")}.` : ""),
      );
    }
  }
  if (ceiling) {
    const tight: string[] = [];
    for (const row of group.rows) {
      const mine = median(row.id, ceiling.id);
      const top = fastest(row);
      if (mine === undefined || top === undefined) continue;
      const headroom = speedRatio(row, mine, top.median);
      if (headroom < 2) tight.push(`${row.id} (${headroom.toFixed(2)}×)`);
    }
    lines.push(
      tight.length
        ? `Driver against the null server (a Python source/sink, so a lower bound of the driver): below 2× the fastest server on ${
          tight.join(", ")
        }.`
        : "Driver against the null server: at least 2× the fastest server on every row.",
    );
  }
  for (const t of group.targets.filter((t) => t.kind === "ftpkit" && !t.skipped)) {
    const missedRows: string[] = [];
    for (const row of group.rows) {
      const mine = median(row.id, t.id);
      if (mine === undefined) {
        missedRows.push(`${row.id} (no figure)`);
        continue;
      }
      const misses: string[] = [];
      for (const p of peers) {
        const theirs = median(row.id, p.id);
        if (theirs === undefined) continue;
        const ratio = speedRatio(row, mine, theirs);
        const needed = group.group === "server"
          ? (p.id === "vsftpd" ? (THROUGHPUT_ROWS.has(row.id) ? 0.9 : 0) : 1)
          : (p.id === "curl" ? 0.9 : 1);
        if (needed > 0 && ratio < needed) misses.push(`${ratio.toFixed(2)}× ${p.label}`);
      }
      const cell = benchCell(group, row.id, t.id);
      if (
        group.group === "server" && CROWD_ROWS.has(row.id) &&
        (cell?.peakRssMB ?? 0) > SERVER_RSS_GOAL_MB
      ) {
        misses.push(`${cell!.peakRssMB!.toFixed(0)} MB RSS`);
      }
      if (
        group.group === "client" && (row.id === "download" || row.id === "upload") &&
        (cell?.growthMB ?? 0) > CLIENT_GROWTH_GOAL_MB
      ) {
        misses.push(`grew ${cell!.growthMB!.toFixed(0)} MB`);
      }
      if (misses.length) missedRows.push(`${row.id} (${misses.join(", ")})`);
    }
    lines.push(
      missedRows.length
        ? `**${t.label}** misses its goals on ${missedRows.length} of ${group.rows.length} rows: ${
          missedRows.join("; ")
        }.`
        : `**${t.label}** meets every goal in this group.`,
    );
  }
  return lines.map((l) => `- ${l}`);
}

/**
 * How far the repeats of a cell spread: (max − min) / median, over all cells
 * with at least two samples. Returns the median and the largest spread, or
 * undefined without repeats.
 */
export function repeatSpread(run: BenchRun): { median: number; max: number } | undefined {
  const spreads: number[] = [];
  for (const g of run.groups) {
    for (const c of g.cells) {
      const m = benchMedian(c.samples);
      if (c.samples.length < 2 || !m) continue;
      spreads.push((Math.max(...c.samples) - Math.min(...c.samples)) / m);
    }
  }
  if (spreads.length === 0) return undefined;
  return { median: benchMedian(spreads)!, max: Math.max(...spreads) };
}

/** The whole run as one markdown document. */
export function runMarkdown(run: BenchRun, chartFile?: string): string {
  const env = Object.entries(run.environment).map(([k, v]) => `${k} ${v}`).join(", ");
  const parts = [
    "# ftpkit benchmarks against the peers",
    "",
    `Run ${run.startedAt}, ${run.seconds.toFixed(0)} s; ${env}.`,
    `Load average (1 min) ${run.load.start.toFixed(2)} at the start, ${
      run.load.end.toFixed(2)
    } at the end, ${run.load.max.toFixed(2)} at most ` +
    "(the machine has 2 shared cores; driver and server share them).",
  ];
  const spread = repeatSpread(run);
  if (spread) {
    parts.push(
      `Spread between repeats, (max − min) / median per cell: median ${
        (100 * spread.median).toFixed(0)
      } %, largest ${(100 * spread.max).toFixed(0)} %.`,
    );
  }
  parts.push(
    "",
    `Options: \`${JSON.stringify(run.options)}\``,
    "",
  );
  if (chartFile) parts.push(`![speed relative to the best peer](${chartFile})`, "");
  for (const g of run.groups) parts.push(groupMarkdown(g), "");
  if (run.notes.length) parts.push("Setup: " + run.notes.join("; ") + ".", "");
  return parts.join("\n");
}

/**
 * A hand-written SVG bar chart of a benchmark run: for every row, one bar per
 * target showing its speed relative to the best peer (1× = the best peer; a
 * dashed line marks it). No dependencies.
 *
 * @module
 */

import {
  benchCell,
  type BenchGroupResult,
  benchMedian,
  type BenchRun,
  bestPeer,
  speedRatio,
} from "./results.ts";

const FTPKIT_COLOURS = ["#1f6feb", "#2da44e", "#bf8700"];
const PEER_COLOURS = ["#8c959f", "#6e7781", "#57606a", "#424a53", "#afb8c1"];
const CEILING_COLOUR = "#d0d7de";

const BAR = 12;
const BAR_GAP = 2;
const ROW_GAP = 14;
const LABEL_WIDTH = 300;
const PLOT_WIDTH = 520;
const VALUE_WIDTH = 70;
const WIDTH = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** SVG source of the run's ratio chart. */
export function ratioChartSvg(run: BenchRun): string {
  const body: string[] = [];
  let y = 10;
  for (const group of run.groups) {
    y = drawGroup(group, y, body);
    y += 20;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH + 16}" height="${y}" ` +
    `viewBox="0 0 ${WIDTH + 16} ${y}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<g transform="translate(8 0)">`,
    ...body,
    "</g>",
    "</svg>",
    "",
  ].join("\n");
}

function drawGroup(group: BenchGroupResult, top: number, out: string[]): number {
  const targets = group.targets.filter((t) => !t.skipped);
  let peerIndex = 0;
  let ftpkitIndex = 0;
  const colour = new Map<string, string>();
  for (const t of targets) {
    colour.set(
      t.id,
      t.kind === "ftpkit"
        ? FTPKIT_COLOURS[ftpkitIndex++ % FTPKIT_COLOURS.length]
        : t.kind === "peer"
        ? PEER_COLOURS[peerIndex++ % PEER_COLOURS.length]
        : CEILING_COLOUR,
    );
  }
  const ratios = new Map<string, number>();
  let maxRatio = 1.2;
  for (const row of group.rows) {
    const best = bestPeer(group, row);
    if (!best) continue;
    for (const t of targets) {
      const median = benchMedian(benchCell(group, row.id, t.id)?.samples ?? []);
      if (median === undefined) continue;
      const ratio = speedRatio(row, median, best.median);
      ratios.set(`${row.id}|${t.id}`, ratio);
      if (t.kind !== "calibration") maxRatio = Math.max(maxRatio, ratio);
    }
  }
  // Keep the scale readable: the driver ceiling may be far ahead; its bar is clipped.
  const scaleMax = Math.min(Math.ceil(maxRatio * 2) / 2, 6);
  const x = (ratio: number) => LABEL_WIDTH + Math.min(ratio, scaleMax) / scaleMax * PLOT_WIDTH;

  let y = top;
  out.push(
    `<text x="0" y="${y + 12}" font-size="14" font-weight="bold">${
      escapeXml(group.title)
    }: speed relative to the best peer</text>`,
  );
  y += 22;
  // Legend.
  let lx = 0;
  for (const t of targets) {
    out.push(`<rect x="${lx}" y="${y}" width="10" height="10" fill="${colour.get(t.id)}"/>`);
    out.push(`<text x="${lx + 14}" y="${y + 9}">${escapeXml(t.label)}</text>`);
    lx += 24 + t.label.length * 6;
    if (lx > WIDTH - 150) {
      lx = 0;
      y += 16;
    }
  }
  y += 24;
  const plotTop = y;
  const barsStart = out.length;
  for (const row of group.rows) {
    const rowHeight = targets.length * (BAR + BAR_GAP);
    out.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${
        escapeXml(row.title)
      }</text>`,
    );
    for (const t of targets) {
      const ratio = ratios.get(`${row.id}|${t.id}`);
      if (ratio !== undefined) {
        const w = Math.max(1, x(ratio) - LABEL_WIDTH);
        out.push(
          `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR}" fill="${
            colour.get(t.id)
          }"><title>${escapeXml(`${t.label}: ${ratio.toFixed(2)}×`)}</title></rect>`,
        );
        out.push(
          `<text x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${y + BAR - 2}">${ratio.toFixed(2)}×${
            ratio > scaleMax ? " ▸" : ""
          }</text>`,
        );
      } else {
        out.push(`<text x="${LABEL_WIDTH + 4}" y="${y + BAR - 2}" fill="#cf222e">no figure</text>`);
      }
      y += BAR + BAR_GAP;
    }
    y += ROW_GAP;
  }
  // Axis behind the bars: ticks every 0.5×, the best-peer line at 1×.
  const axis: string[] = [];
  for (let tick = 0; tick <= scaleMax + 1e-9; tick += 0.5) {
    const tx = x(tick).toFixed(1);
    axis.push(
      `<line x1="${tx}" y1="${plotTop - 4}" x2="${tx}" y2="${y - ROW_GAP}" stroke="${
        tick === 1 ? "#cf222e" : "#eaeef2"
      }" ${tick === 1 ? 'stroke-dasharray="4 3"' : ""}/>`,
    );
    axis.push(`<text x="${tx}" y="${y}" text-anchor="middle" fill="#57606a">${tick}×</text>`);
  }
  out.splice(barsStart, 0, ...axis);
  return y + 6;
}

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchArgs, parseBenchSize } from "../../bench/options.ts";
import {
  type BenchGroupResult,
  benchMedian,
  type BenchRun,
  bestPeer,
  speedRatio,
} from "../../bench/results.ts";
import { goalLines, groupMarkdown, runMarkdown } from "../../bench/report.ts";
import { ratioChartSvg } from "../../bench/chart.ts";

function sampleGroup(): BenchGroupResult {
  return {
    group: "server",
    title: "Servers",
    rows: [
      { id: "retr", title: "RETR, 1 client", unit: "MiB/s", better: "higher" },
      { id: "multi-retr", title: "200 × RETR", unit: "s", better: "lower" },
    ],
    targets: [
      { id: "ftpkit-deno", label: "ftpkit (Deno)", kind: "ftpkit" },
      { id: "pyftpdlib", label: "pyftpdlib", kind: "peer" },
      { id: "vsftpd", label: "vsftpd", kind: "peer" },
      { id: "aioftp", label: "aioftp", kind: "peer", skipped: "not installed" },
      { id: "null", label: "driver ceiling", kind: "calibration" },
    ],
    cells: [
      { row: "retr", target: "ftpkit-deno", samples: [900, 1000, 1100], peakRssMB: 40 },
      {
        row: "retr",
        target: "pyftpdlib",
        samples: [1400, 1500, 1300],
        peakRssMB: 20,
        driverLoad: 0.3,
      },
      { row: "retr", target: "vsftpd", samples: [1200], peakRssMB: 5 },
      { row: "retr", target: "null", samples: [4000] },
      { row: "multi-retr", target: "ftpkit-deno", samples: [1.0], peakRssMB: 95, driverLoad: 0.7 },
      { row: "multi-retr", target: "pyftpdlib", samples: [2.0, 1.5] },
      { row: "multi-retr", target: "vsftpd", samples: [], error: "boom" },
      { row: "multi-retr", target: "null", samples: [0.6] },
    ],
  };
}

describe("bench harness arithmetic", () => {
  test("sizes and options parse", () => {
    assert.equal(parseBenchSize("1g"), 1024 ** 3);
    assert.equal(parseBenchSize("10m"), 10_000_000);
    assert.equal(parseBenchSize("16k"), 16384);
    assert.equal(parseBenchSize("4096"), 4096);
    assert.throws(() => parseBenchSize("ten"), RangeError);
    const quick = parseBenchArgs(["--quick", "--servers", "pyftpdlib,vsftpd"], "/tmp");
    assert.equal(quick.repeats, 1);
    assert.equal(quick.clientCount, 20);
    assert.deepEqual(quick.servers, ["pyftpdlib", "vsftpd"]);
    assert.throws(() => parseBenchArgs(["--bogus"], "/tmp"), RangeError);
  });

  test("median, best peer and speed ratio", () => {
    assert.equal(benchMedian([3, 1, 2]), 2);
    assert.equal(benchMedian([4, 1, 3, 2]), 2.5);
    assert.equal(benchMedian([]), undefined);
    const group = sampleGroup();
    const [retr, multi] = group.rows;
    assert.deepEqual(bestPeer(group, retr), { target: "pyftpdlib", median: 1400 });
    assert.deepEqual(bestPeer(group, multi), { target: "pyftpdlib", median: 1.75 });
    assert.equal(speedRatio(retr, 1000, 1400).toFixed(3), (1000 / 1400).toFixed(3));
    assert.equal(speedRatio(multi, 1.0, 1.75), 1.75);
  });
});

describe("bench harness output", () => {
  test("markdown shows medians, ratios, skips, failures and missed goals", () => {
    const group = sampleGroup();
    const md = groupMarkdown(group);
    assert.match(md, /\| RETR, 1 client, MiB\/s \| 1000 \(0\.71×\) \| \*\*1400 \(1\.00×\)\*\* \|/);
    assert.match(md, /\| 200 × RETR, s \| 1\.000 \(1\.75×\) \|/);
    assert.match(md, /Skipped: aioftp \(not installed\)/);
    assert.match(md, /vsftpd, multi-retr: boom/);
    const goals = goalLines(group).join("\n");
    assert.match(goals, /ftpkit \(Deno\)\*\* misses its goals on 2 of 2 rows/);
    assert.match(goals, /retr \(0\.71× pyftpdlib, 0\.83× vsftpd\)/);
    assert.match(goals, /multi-retr \(95 MB RSS\)/);
    // The driver's load is read from the fastest target of each row, ftpkit included.
    assert.match(
      goals,
      /fastest server of each row .*: retr 0\.30, multi-retr 0\.70\. Above 0\.5 on multi-retr\./,
    );
    assert.match(goals, /null server .* below 2× the fastest server on multi-retr \(1\.67×\)/);
  });

  test("the SVG chart has one bar per figure and is well formed", () => {
    const run: BenchRun = {
      startedAt: "2026-01-01T00:00:00.000Z",
      seconds: 1,
      environment: { cpu: "test" },
      options: {},
      load: { start: 0, end: 0, max: 0 },
      groups: [sampleGroup()],
      notes: [],
    };
    const svg = ratioChartSvg(run);
    assert.ok(svg.startsWith("<svg ") && svg.trimEnd().endsWith("</svg>"));
    // 4 targets not skipped × 2 rows, minus vsftpd's failed row = 7 bars with a title.
    assert.equal(svg.match(/<rect [^>]*><title>/g)?.length, 7);
    assert.equal(svg.match(/no figure/g)?.length, 1);
    assert.ok(!/NaN|undefined/.test(svg));
    assert.match(
      runMarkdown(run, "latest.svg"),
      /!\[speed relative to the best peer\]\(latest\.svg\)/,
    );
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { runSoak } from "./_soak.ts";
import { printRows } from "./_summary.ts";

test("soak: 100 concurrent clients for 10 s, every byte verified, no leaks", async () => {
  const report = await runSoak({ clients: 100, seconds: 10 });
  printRows("soak", [
    ["clients x seconds", `${report.clients} x 10`],
    ["operations", report.operations],
    ["control connections", report.connections],
    ["protocol errors", report.protocolErrors],
    ["bytes verified (lost)", `${report.bytesVerified} (${report.bytesLost})`],
    ["server fds before/after", `${report.fds.before}/${report.fds.after}`],
    [
      "server RSS MiB before/peak/after",
      `${report.rssMiB.before}/${report.rssMiB.peak}/${report.rssMiB.after}`,
    ],
    ["seconds", report.seconds.toFixed(1)],
  ]);
  const samples = report.errorSamples.join("\n");
  assert.equal(report.protocolErrors, 0, samples);
  assert.equal(report.bytesLost, 0, samples);
  assert.ok(report.bytesVerified > 0);
  assert.ok(report.operations >= report.clients, `only ${report.operations} operations`);
  assert.equal(report.connectionsLeft, 0);
  assert.equal(report.serverErrors, 0);
  if (report.fds.before !== null && report.fds.after !== null) {
    // Equal in practice; a runtime may open a descriptor or two lazily (timers, DNS).
    assert.ok(
      report.fds.after <= report.fds.before + 2,
      `fds ${report.fds.before} -> ${report.fds.after}: ${report.fdsGained.join(", ")}`,
    );
  }
  if (
    report.rssMiB.before !== null && report.rssMiB.after !== null && report.rssMiB.peak !== null
  ) {
    // Back near the start: at most half of what the load added stays resident.
    const grown = report.rssMiB.after - report.rssMiB.before;
    const load = report.rssMiB.peak - report.rssMiB.before;
    assert.ok(
      grown <= Math.max(64, load * 0.5),
      `RSS ${report.rssMiB.before} -> ${report.rssMiB.after} MiB (peak ${report.rssMiB.peak})`,
    );
  }
});

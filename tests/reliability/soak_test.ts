import { test } from "node:test";
import assert from "node:assert/strict";
import { runSoak, soakRows } from "./_soak.ts";
import { FULL_RUN, printRows } from "./_summary.ts";

const CLIENTS = FULL_RUN ? 500 : 100;
const SECONDS = FULL_RUN ? 60 : 10;

test(`soak: ${CLIENTS} concurrent clients for ${SECONDS} s, every byte verified, no leaks`, async () => {
  const report = await runSoak({ clients: CLIENTS, seconds: SECONDS });
  printRows("soak", soakRows(report));
  const samples = report.errorSamples.join("\n");
  assert.equal(report.protocolErrors, 0, samples);
  assert.equal(report.bytesLost, 0, samples);
  assert.ok(report.bytesVerified > 0);
  assert.ok(report.operations >= report.clients, `only ${report.operations} operations`);
  assert.equal(report.connectionsLeft, 0);
  assert.equal(report.serverErrors, 0);
  if (report.tcpSockets.before !== null && report.tcpSockets.after !== null) {
    // No connection or listener may outlive its session.
    assert.equal(
      report.tcpSockets.after,
      report.tcpSockets.before,
      `TCP sockets ${report.tcpSockets.before} -> ${report.tcpSockets.after}`,
    );
  }
  if (report.fds.before !== null && report.fds.after !== null) {
    // A runtime opens a few descriptors of its own lazily (Deno: a Unix socket pair for
    // signals and a pipe; timers, DNS), once per process, whatever the load.
    assert.ok(
      report.fds.after <= report.fds.before + 3,
      `fds ${report.fds.before} -> ${report.fds.after}: ${report.fdsGained.join(", ")}`,
    );
  }
  // Memory back near the start: the JavaScript heap after a full GC. RSS is reported only:
  // allocators keep freed pages (Deno's RSS stays near its peak).
  assert.ok(
    report.heapMiB.after <= report.heapMiB.before + 16,
    `heap ${report.heapMiB.before} -> ${report.heapMiB.after} MiB`,
  );
});

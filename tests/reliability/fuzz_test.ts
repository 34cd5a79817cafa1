import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzzTree, runControlFuzz } from "./_fuzz.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { SERVER_TLS } from "../_helpers.ts";
import { RawSession } from "./_raw_session.ts";
import { FULL_RUN, printRows } from "./_summary.ts";

const LINES = FULL_RUN ? 100_000 : 10_000;

test(`control channel fuzz: ${LINES} generated lines, no crash, valid replies, bounded memory`, async () => {
  const report = await runControlFuzz({ lines: LINES, connections: 8, seed: 20261121 });
  printRows("fuzz", [
    ["lines sent", report.lines],
    ...Object.entries(report.byCategory).sort().map(([k, v]) => [`  ${k}`, v] as [string, number]),
    ["replies", report.replies],
    ["hangs / malformed replies", `${report.hangs} / ${report.malformed}`],
    [
      "server crashes (non-ftpkit errors, unhandled rejections)",
      `${report.unexpectedServerErrors + report.unhandledRejections}`,
    ],
    ["sentinel beside the root intact", String(report.sentinelIntact)],
    ["connections closed by the server", report.closedByServer],
    ["canary round trips (failed)", `${report.canaryChecks} (${report.canaryFailures})`],
    ["RSS MiB start/peak/end", `${report.rssMiB.start}/${report.rssMiB.peak}/${report.rssMiB.end}`],
    ["seconds", report.seconds.toFixed(1)],
  ]);
  const problems = report.failureSamples.join("\n");
  assert.equal(report.lines, LINES);
  assert.equal(report.hangs, 0, problems);
  assert.equal(report.malformed, 0, problems);
  assert.equal(report.unexpectedServerErrors, 0, problems);
  assert.equal(report.unhandledRejections, 0, problems);
  assert.equal(report.canaryFailures, 0, problems);
  assert.ok(report.servesAfterwards, "a fresh client can log in after the fuzz");
  assert.equal(report.connectionsLeft, 0, "every session ended");
  assert.ok(report.sentinelIntact, "the file beside the user's root is untouched");
  // Closing is a valid answer, but most lines must get a reply.
  assert.ok(report.closedByServer < report.lines / 4, `closed ${report.closedByServer} times`);
  assert.ok(
    report.rssMiB.peak - report.rssMiB.start < 400,
    `RSS grew to ${report.rssMiB.peak} MiB`,
  );
});

test("replies never echo control characters from a command line", async () => {
  const server = new Server({
    pathIO: await fuzzTree(),
    users: [new User({ login: "u", password: "p", basePath: "/home" })],
    tls: SERVER_TLS,
  });
  const { port } = await server.start("127.0.0.1", 0);
  try {
    const session = await RawSession.open(port);
    try {
      // A bare CR in a reply lets a client that splits on CR see a forged line.
      for (const line of ["AB\rCD\x01", "\x00\x1b[2J", "AUTH x\ry", "PROT \x07"]) {
        session.write(line + "\r\n");
        const reply = await session.read();
        assert.ok(reply.code >= 500 && reply.code < 600, reply.lines[0]);
      }
    } finally {
      session.close();
    }
  } finally {
    await server.close();
  }
});

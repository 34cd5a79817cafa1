import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pseudoRandomBytes, sha256, tempDir } from "../_helpers.ts";
import {
  cliInvocation,
  type CliTestServer,
  putFile,
  runProgram,
  shellQuote,
  startCliTestServer,
} from "./_cli.ts";

const SIZE = 1024 * 1024;
const ERASE_TO_END_OF_LINE = "\x1b[K";
const RATE = 320 * 1024;

let server: CliTestServer;
let local: { path: string; remove: () => Promise<void> };

before(async () => {
  // The server throttles downloads, so the transfer lasts about 3 s.
  server = await startCliTestServer({ writeSpeedLimit: RATE });
  local = await tempDir("ftpkit-cli-tty-");
});
after(async () => {
  await server?.close();
  await local?.remove();
});

test("in a terminal, a throttled download redraws a progress bar with percentage, rate and ETA", async () => {
  const data = pseudoRandomBytes(SIZE, 11);
  await putFile(server.io, "/big.bin", data);
  const destination = join(local.path, "big.bin");
  const [program, leading] = cliInvocation();
  const command = [program, ...leading, "get", `${server.url}/big.bin`, destination]
    .map(shellQuote).join(" ");
  // script(1) runs the command on a fresh pseudo-terminal and copies what it prints.
  const run = await runProgram("script", ["-qefc", `stty cols 100; ${command}`, "/dev/null"], {
    timeoutMs: 45_000,
  });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const screen = run.stdout;
  // Each redraw starts with CR and ends by erasing the rest of the line.
  const frames = screen.split("\r").filter((f) =>
    f.includes(ERASE_TO_END_OF_LINE) && f.includes("ETA")
  );
  assert.ok(frames.length >= 3, `expected several redraws, got:\n${JSON.stringify(screen)}`);
  const bar =
    /^ *(\d{1,3})% \[[#.]{24}\] [\d.]+ \S+\/1\.00 MiB {2}[\d.]+ \S+\/s {2}ETA \d+:\d\d {2}\/big\.bin$/;
  const percents = frames.map((f) => {
    assert.ok(f.endsWith(ERASE_TO_END_OF_LINE), JSON.stringify(f));
    const m = bar.exec(f.slice(0, -ERASE_TO_END_OF_LINE.length));
    assert.ok(m, `not a progress frame: ${JSON.stringify(f)}`);
    return Number(m[1]);
  });
  for (let i = 1; i < percents.length; i++) {
    assert.ok(percents[i] >= percents[i - 1], String(percents));
  }
  assert.ok(percents[0] < 100, String(percents));
  // Every frame fits the 100 columns the terminal has.
  for (const f of frames) assert.ok(f.replace(ERASE_TO_END_OF_LINE, "").length < 100, f);
  assert.match(screen, /\/big\.bin: 1\.00 MiB in \d+:\d\d \([\d.]+ \S+\/s\)/);
  assert.equal(await sha256(await readFile(destination)), await sha256(data));
});

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pseudoRandomBytes, sha256, tempDir } from "../_helpers.ts";
import { runCli } from "./_cli.ts";

const SCRIPT = fileURLToPath(new URL("./_pyftpd_list_only.py", import.meta.url));

let work: { path: string; remove: () => Promise<void> };
let pyftpd: ChildProcess | undefined;
let url = "";

before(async () => {
  work = await tempDir("ftpkit-cli-peer-");
  await mkdir(join(work.path, "server"));
  const child = pyftpd = spawn("/usr/bin/python3", [SCRIPT, join(work.path, "server")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`pyftpdlib did not start: ${out}`)), 20_000);
    child.stdout!.on("data", (c: Uint8Array) => {
      out += new TextDecoder().decode(c);
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`pyftpdlib exited ${code}: ${out}`)));
  });
  url = `ftp://u:p@127.0.0.1:${port}`;
});
after(async () => {
  pyftpd?.kill("SIGKILL");
  await work?.remove();
});

test("mirror both ways against pyftpdlib with LIST only (whole-minute times)", async () => {
  const source = join(work.path, "source");
  await mkdir(join(source, "a", "b"), { recursive: true });
  const big = pseudoRandomBytes(150_000, 8);
  await writeFile(join(source, "a", "one.txt"), "one");
  await writeFile(join(source, "a", "b", "two.bin"), big);
  const old = new Date(Date.now() - 2 * 3600_000);
  await utimes(join(source, "a", "one.txt"), old, old);
  await utimes(join(source, "a", "b", "two.bin"), old, old);

  const up = await runCli(["mirror", "-P", "2", source, `${url}/up`]);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stdout, /^mirror: 2 copied/);
  const upAgain = await runCli(["mirror", "-P", "2", source, `${url}/up`]);
  assert.equal(upAgain.code, 0, upAgain.stderr);
  assert.match(upAgain.stdout, /^mirror: 0 copied .*, 2 unchanged/);

  const copy = join(work.path, "copy");
  const down = await runCli(["mirror", "-P", "2", `${url}/up`, copy]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, /^mirror: 2 copied/);
  assert.equal(await sha256(await readFile(join(copy, "a", "b", "two.bin"))), await sha256(big));
  const downAgain = await runCli(["mirror", `${url}/up`, copy]);
  assert.equal(downAgain.code, 0, downAgain.stderr);
  assert.match(downAgain.stdout, /^mirror: 0 copied .*, 2 unchanged/);

  const ls = await runCli(["ls", "-l", "--active", `${url}/up/a`]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /^d +\d+ {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}b$/m);
  assert.match(ls.stdout, /^- +3 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}one\.txt$/m);
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { getSocketAdapter } from "../../streams/socket_adapter.ts";
import { pseudoRandomBytes, sha256, tempDir } from "../_helpers.ts";
import { spawn } from "node:child_process";
import {
  cliInvocation,
  type CliTestServer,
  getFile,
  putFile,
  runCli,
  startCliTestServer,
} from "./_cli.ts";

// deno-lint-ignore no-control-regex
const ANSI_ESCAPE = /\x1b/;
const COMMANDS = ["ls", "get", "put", "mirror", "rm", "mkdir", "mv"];

describe("ftpkit client commands without a terminal", () => {
  let server: CliTestServer;
  let local: { path: string; remove: () => Promise<void> };

  before(async () => {
    server = await startCliTestServer();
    local = await tempDir("ftpkit-cli-");
  });
  after(async () => {
    await server?.close();
    await local?.remove();
  });

  test("--help on every command exits 0 and documents the exit codes", async () => {
    const runs = await Promise.all(COMMANDS.map((c) => runCli([c, "--help"])));
    runs.forEach((run, i) => {
      assert.equal(run.code, 0, `${COMMANDS[i]}: ${run.stderr}`);
      assert.match(run.stdout, new RegExp(`^Usage: ftpkit ${COMMANDS[i]} `));
      assert.match(run.stdout, /--ca-cert FILE/);
      assert.match(run.stdout, /3 connection or login failed/);
    });
    const top = await runCli(["--help"]);
    assert.equal(top.code, 0);
    for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`\\n  ${c} `));
  });

  test("usage errors exit 2", async () => {
    const cases = [
      ["get"],
      ["get", "--no-such-option", `${server.url}/x`],
      ["get", "http://example.com/x"],
      ["ls", "ftp://"],
      ["mirror", "a", "b"],
      ["mirror", `${server.url}/a`, `${server.url}/b`],
      ["mirror", "--parallel", "0", `${server.url}/`, local.path],
      ["put", join(local.path, "x")],
      ["get", "--limit-rate", "fast", `${server.url}/x`],
      ["no-such-command"],
    ];
    const runs = await Promise.all(cases.map((args) => runCli(args)));
    runs.forEach((run, i) => assert.equal(run.code, 2, `${cases[i].join(" ")}: ${run.stderr}`));
    assert.match(runs[1].stderr, /Unknown option: --no-such-option/);
  });

  test("connection and login errors exit 3", async () => {
    const listener = await getSocketAdapter().listen({ hostname: "127.0.0.1", port: 0 });
    const closedPort = listener.address.port;
    listener.close();
    const [badPassword, refused, anonymousRefused] = await Promise.all([
      runCli(["ls", `ftp://u:wrong@127.0.0.1:${server.port}/`]),
      runCli(["ls", `ftp://u:p@127.0.0.1:${closedPort}/`]),
      runCli(["ls", `ftp://127.0.0.1:${server.port}/`]),
    ]);
    assert.equal(badPassword.code, 3, badPassword.stderr);
    assert.match(badPassword.stderr, /530/);
    assert.equal(refused.code, 3, refused.stderr);
    assert.equal(anonymousRefused.code, 3, anonymousRefused.stderr);
  });

  test("transfer and remote errors exit 4", async () => {
    const [missingRemote, missingLocal, rmMissing] = await Promise.all([
      runCli(["get", "-q", `${server.url}/no/such/file`, local.path]),
      runCli(["put", join(local.path, "no-such-file"), `${server.url}/`]),
      runCli(["rm", `${server.url}/no-such-file`]),
    ]);
    assert.equal(missingRemote.code, 4, missingRemote.stderr);
    assert.match(missingRemote.stderr, /550/);
    assert.equal(missingLocal.code, 4, missingLocal.stderr);
    assert.equal(rmMissing.code, 4, rmMissing.stderr);
    const forced = await runCli(["rm", "-f", `${server.url}/no-such-file`]);
    assert.equal(forced.code, 0, forced.stderr);
  });

  test("Ctrl-C stops a download with exit code 130 and leaves no partial file", async () => {
    await putFile(server.io, "/interrupted.bin", pseudoRandomBytes(2 * 1024 * 1024, 3));
    const destination = join(local.path, "interrupted.bin");
    const [program, leading] = cliInvocation();
    const child = spawn(program, [
      ...leading,
      "get",
      "--limit-rate",
      "128k",
      `${server.url}/interrupted.bin`,
      destination,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      // Interrupt once the first progress line shows the transfer is running.
      await new Promise<void>((resolve, reject) => {
        child.stderr.on("data", (c: Uint8Array) => {
          stderr += new TextDecoder().decode(c);
          if (/ETA/.test(stderr)) resolve();
        });
        closed.then(() => reject(new Error(`exited before any progress: ${stderr}`)));
      });
      // process.kill, not child.kill: Deno reports children it signalled itself as killed.
      process.kill(child.pid!, "SIGINT");
      assert.equal(await closed, 130, stderr);
    } finally {
      clearTimeout(killTimer);
    }
    assert.match(stderr, /^\/interrupted\.bin: stopped after [\d.]+ \S+ of 2\.00 MiB$/m);
    assert.match(stderr, /^ftpkit get: interrupted$/m);
    const left = (await readdir(local.path)).filter((n) => n.includes("interrupted"));
    assert.deepEqual(left, [], "the temporary file is removed, nothing is renamed");
  });

  test("the password comes from FTPKIT_PASSWORD or --password-env", async () => {
    await putFile(server.io, "/env/a.txt", new TextEncoder().encode("a"));
    const url = `ftp://u@127.0.0.1:${server.port}/env`;
    const fromDefault = await runCli(["ls", url], { env: { FTPKIT_PASSWORD: "p" } });
    assert.equal(fromDefault.code, 0, fromDefault.stderr);
    assert.equal(fromDefault.stdout, "a.txt\n");
    const fromNamed = await runCli(["ls", "--password-env", "MY_PW", url], {
      env: { MY_PW: "p" },
    });
    assert.equal(fromNamed.code, 0, fromNamed.stderr);
    const unset = await runCli(["ls", "--password-env", "FTPKIT_TEST_UNSET_VARIABLE", url]);
    assert.equal(unset.code, 2, unset.stderr);
  });

  test("a throttled download prints plain progress lines, no escape sequences", async () => {
    const data = pseudoRandomBytes(640 * 1024, 7);
    await putFile(server.io, "/slow.bin", data);
    const run = await runCli(
      ["get", "--limit-rate", "256k", `${server.url}/slow.bin`, join(local.path, "slow.bin")],
      { timeoutMs: 30_000 },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, ANSI_ESCAPE);
    assert.doesNotMatch(run.stderr, /\r/);
    const progressLines = run.stderr.split("\n").filter((l) => / ETA /.test(l));
    assert.ok(progressLines.length >= 1, run.stderr);
    for (const line of progressLines) {
      assert.match(
        line,
        /^\/slow\.bin: \d{1,3}% [\d.]+ \S+ of 640\.0 KiB, [\d.]+ \S+\/s, ETA \d+:\d\d$/,
      );
    }
    assert.match(run.stderr, /^\/slow\.bin: 640\.0 KiB in \d+:\d\d \([\d.]+ \S+\/s\)$/m);
    assert.equal(await sha256(await readFile(join(local.path, "slow.bin"))), await sha256(data));
  });

  test("put, ls, get to stdout, mv, mkdir -p, rm -r", async () => {
    await writeFile(join(local.path, "up.txt"), "uploaded text\n");
    const put = await runCli(["put", "-q", join(local.path, "up.txt"), `${server.url}/docs/`]);
    assert.equal(put.code, 4, "the remote directory does not exist yet");
    const mk = await runCli(["mkdir", "-p", `${server.url}/docs/deep/er`]);
    assert.equal(mk.code, 0, mk.stderr);
    const put2 = await runCli(["put", "-q", join(local.path, "up.txt"), `${server.url}/docs/`]);
    assert.equal(put2.code, 0, put2.stderr);
    assert.equal(
      new TextDecoder().decode(await getFile(server.io, "/docs/up.txt")),
      "uploaded text\n",
    );

    const ls = await runCli(["ls", `${server.url}/docs`]);
    assert.equal(ls.stdout, "deep/\nup.txt\n");
    const long = await runCli(["ls", "-l", `${server.url}/docs`]);
    assert.match(long.stdout, /^- +14 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}up\.txt$/m);
    const json = await runCli(["ls", "-R", "--json", `${server.url}/docs`]);
    const entries = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(entries.map((e) => e.path).sort(), [
      "/docs/deep",
      "/docs/deep/er",
      "/docs/up.txt",
    ]);

    const cat = await runCli(["get", `${server.url}/docs/up.txt`, "-"]);
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, "uploaded text\n");

    const mv = await runCli(["mv", `${server.url}/docs/up.txt`, "deep/moved.txt"]);
    assert.equal(mv.code, 0, mv.stderr);
    assert.ok(await server.io.exists("/docs/deep/moved.txt"));

    const rmDir = await runCli(["rm", `${server.url}/docs`]);
    assert.equal(rmDir.code, 2, "a directory needs -r");
    const rm = await runCli(["rm", "-r", `${server.url}/docs`]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(await server.io.exists("/docs"), false);
  });

  test("get -c resumes a partial file; get -r downloads a tree", async () => {
    const data = pseudoRandomBytes(100_000, 21);
    await putFile(server.io, "/resume/part.bin", data);
    await putFile(server.io, "/resume/sub/two.txt", new TextEncoder().encode("two"));
    const partial = join(local.path, "part.bin");
    // A first half with wrong bytes proves -c keeps what is there and fetches only the rest.
    await writeFile(partial, new Uint8Array(50_000).fill(1));
    const resumed = await runCli(["get", "-c", "-q", `${server.url}/resume/part.bin`, partial]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const after = await readFile(partial);
    assert.equal(after.byteLength, 100_000);
    assert.ok(after.subarray(0, 50_000).every((b) => b === 1));
    assert.deepEqual(new Uint8Array(after.subarray(50_000)), data.subarray(50_000));

    const noR = await runCli(["get", `${server.url}/resume`, local.path]);
    assert.equal(noR.code, 2, "a directory needs -r");
    const tree = await runCli(["get", "-r", "-q", `${server.url}/resume`, local.path]);
    assert.equal(tree.code, 0, tree.stderr);
    assert.equal(await readFile(join(local.path, "resume", "sub", "two.txt"), "utf8"), "two");
    assert.equal(
      await sha256(await readFile(join(local.path, "resume", "part.bin"))),
      await sha256(data),
    );
  });

  test("put - uploads standard input", async () => {
    const run = await runCli(["put", "-q", "-", `${server.url}/stdin.txt`], {
      input: new TextEncoder().encode("from stdin"),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(new TextDecoder().decode(await getFile(server.io, "/stdin.txt")), "from stdin");
  });

  test("mirror downloads with --parallel, then skips unchanged files, then copies a changed one", async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 6; i++) {
      const path = `/tree/${i % 2 ? "odd/" : ""}f${i}.bin`;
      files[path] = pseudoRandomBytes(20_000 + i * 1000, i + 1);
      await putFile(server.io, path, files[path]);
    }
    await server.io.mkdir("/tree/empty", { parents: true });
    const target = join(local.path, "mirror-down");
    const first = await runCli(["mirror", "-P", "3", `${server.url}/tree`, target]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^mirror: 6 copied .*, 0 unchanged, 0 deleted, 0 failed/);
    for (const [path, data] of Object.entries(files)) {
      const copy = await readFile(join(target, ...path.split("/").slice(2)));
      assert.equal(await sha256(copy), await sha256(data), path);
    }
    assert.ok((await stat(join(target, "empty"))).isDirectory());

    const second = await runCli(["mirror", "-P", "3", `${server.url}/tree`, target]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^mirror: 0 copied .*, 6 unchanged/);

    await putFile(server.io, "/tree/f0.bin", pseudoRandomBytes(1234, 99));
    await writeFile(join(target, "stale.txt"), "not on the server");
    const third = await runCli(["mirror", "--delete", `${server.url}/tree`, target]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /^mirror: 1 copied .*, 5 unchanged, 1 deleted/);
    assert.equal((await stat(join(target, "f0.bin"))).size, 1234);
    await assert.rejects(stat(join(target, "stale.txt")));
  });

  test("mirror uploads a local tree and skips it the second time", async () => {
    const source = join(local.path, "mirror-up");
    await mkdir(join(source, "a", "b"), { recursive: true });
    await writeFile(join(source, "top.txt"), "top");
    await writeFile(join(source, "a", "b", "deep.bin"), pseudoRandomBytes(50_000, 5));
    // An old local time: the server's copy is newer after the upload.
    const old = new Date(Date.now() - 3600_000);
    await utimes(join(source, "top.txt"), old, old);
    await utimes(join(source, "a", "b", "deep.bin"), old, old);
    const first = await runCli(["mirror", "-P", "2", source, `${server.url}/up`]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^mirror: 2 copied/);
    assert.equal((await getFile(server.io, "/up/a/b/deep.bin")).byteLength, 50_000);
    const second = await runCli(["mirror", "-P", "2", source, `${server.url}/up`]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^mirror: 0 copied .*, 2 unchanged/);
    const dry = await runCli([
      "mirror",
      "-n",
      "--delete",
      join(local.path, "mirror-down"),
      `${server.url}/up`,
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^delete a\/b\/deep\.bin$/m);
    assert.ok(await server.io.exists("/up/a/b/deep.bin"), "a dry run changes nothing");
  });
});

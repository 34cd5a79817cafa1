import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Client } from "../../client/client.ts";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { RUNTIME } from "../_helpers.ts";

/** Under Node the compiled tests run from `npm/tests/` and the examples from `npm/examples/`. */
const compiled = import.meta.url.endsWith(".js");

function examplePath(name: string): string {
  return fileURLToPath(
    new URL(`../../examples/${name}.${compiled ? "js" : "ts"}`, import.meta.url),
  );
}

function exampleInvocation(name: string, args: string[]): [string, string[]] {
  const path = examplePath(name);
  return RUNTIME === "deno"
    ? [process.execPath, ["run", "-A", "--no-check", path, ...args]]
    : [process.execPath, [path, ...args]];
}

interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run an example to its end, at most `timeoutMs`. */
function runExample(name: string, args: string[] = [], timeoutMs = 30_000): Promise<ExampleRun> {
  const [program, argv] = exampleInvocation(name, args);
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (c: Uint8Array) => stdout += new TextDecoder().decode(c));
    child.stderr.on("data", (c: Uint8Array) => stderr += new TextDecoder().decode(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("examples against a server the test starts", () => {
  let server: Server;
  let url = "";
  before(async () => {
    server = new Server({
      pathIO: new MemoryPathIO(),
      users: [new User({ login: "u", password: "p" })],
    });
    const { port } = await server.start("127.0.0.1", 0);
    url = `ftp://u:p@127.0.0.1:${port}`;
  });
  after(() => server?.close());

  test("client_basics.ts", async () => {
    const run = await runExample("client_basics", [url]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^listed \/examples\/basics\/hello\.txt file 18000 bytes$/m);
    assert.match(run.stdout, /^downloaded 18000 characters, same: true$/m);
    assert.match(run.stdout, /^removed, exists: false$/m);
  });

  test("mirror.ts", async () => {
    const run = await runExample("mirror", [url, "3"]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^uploaded 12 files over 3 connections$/m);
    assert.match(run.stdout, /^downloaded 12 files, 12 identical$/m);
  });
});

test("custom_command.ts", async () => {
  const run = await runExample("custom_command");
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split("\n"), [
    "200 you are alice",
    "200 up 0 s",
    "StatusCodeError: Waiting for 200 but got 504: 504 SITE REBOOT is not known here",
  ]);
});

test("serve_memory.ts serves until SIGTERM", async () => {
  const [program, argv] = exampleInvocation("serve_memory", ["0"]);
  const child = spawn(program, argv, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FTP_PASSWORD: "pw" },
  });
  let stdout = "", stderr = "";
  child.stderr.on("data", (c: Uint8Array) => stderr += new TextDecoder().decode(c));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const killTimer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  try {
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Uint8Array) => {
        stdout += new TextDecoder().decode(c);
        const m = /listening on (ftp:\/\/\S+)/.exec(stdout);
        if (m) resolve(m[1]);
      });
      exited.then(() => reject(new Error(`exited early: ${stdout} ${stderr}`)));
    });
    await using alice = await Client.context(address.replace("ftp://", "ftp://alice:pw@"));
    const upload = await alice.uploadStream("/pub/note.txt");
    await new Blob(["a note"]).stream().pipeTo(upload.writable);
    await upload.finish();
    await using anonymous = await Client.context(address);
    assert.equal(await anonymous.getCurrentDirectory(), "/pub");
    // Servers answer NLST with names or with paths (RFC 959 leaves it open).
    const names = (await anonymous.nlst("/pub")).map((n) => n.split("/").pop());
    assert.deepEqual(names, ["note.txt"]);
    await assert.rejects(anonymous.makeDirectory("/nope"), /550|553|Permission/i);
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  } finally {
    clearTimeout(killTimer);
  }
  child.kill("SIGTERM");
  const code = await exited;
  // Deno's child_process reports a child it signalled as killed (code null) even when the
  // child handled the signal and exited 0; the "stopped" line below proves the clean exit.
  assert.ok(code === 0 || code === null, `exit ${code}: ${stderr}`);
  assert.match(stdout, /^uploaded \/pub\/note\.txt \(6 bytes\)$/m);
  assert.match(stdout, /stopped\n$/);
});

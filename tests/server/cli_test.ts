import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RUNTIME, tempDir } from "../_helpers.ts";
import { runProcess } from "./_setup.ts";

/** How this runtime starts the CLI (Node runs the compiled npm build). */
function cliCommand(): string[] {
  const entry = fileURLToPath(
    new URL(`../../cli.${RUNTIME === "node" ? "js" : "ts"}`, import.meta.url),
  );
  if (RUNTIME === "deno") return [process.execPath, "run", "-A", entry];
  return [process.execPath, entry];
}

test("ftpkit serve: serves a directory, logs session events, stops on SIGTERM", async () => {
  const dir = await tempDir("ftpkit-cli-");
  const [command, ...prefix] = cliCommand();
  const child = spawn(command, [
    ...prefix,
    "serve",
    "-d",
    dir.path,
    "--writable",
    "--port",
    "0",
    "--user",
    "ann",
    "--pass",
    "pw",
  ], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  const guard = setTimeout(() => child.kill("SIGKILL"), 50_000);
  try {
    child.stderr.on("data", (c: Uint8Array) => output += new TextDecoder().decode(c));
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (c: Uint8Array) => {
        output += new TextDecoder().decode(c);
        const m = output.match(/serving .* on ftp:\/\/127\.0\.0\.1:(\d+)/);
        if (m) resolve(Number(m[1]));
      });
      exited.then(() => reject(new Error(`CLI exited early:\n${output}`)));
    });
    await writeFile(join(dir.path, "hello.txt"), "hello from disk");
    const url = `ftp://ann:pw@127.0.0.1:${port}`;
    const down = await runProcess("curl", ["-sS", "--max-time", "20", `${url}/hello.txt`]);
    assert.equal(new TextDecoder().decode(down.stdout), "hello from disk", down.stderr);
    const up = await runProcess("curl", ["-sS", "--max-time", "20", "-T", "-", `${url}/up.txt`], {
      input: new TextEncoder().encode("uploaded"),
    });
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await readFile(join(dir.path, "up.txt"), "utf8"), "uploaded");
    const refused = await runProcess("curl", [
      "-sS",
      "--max-time",
      "20",
      `ftp://ann:bad@127.0.0.1:${port}/`,
    ]);
    assert.notEqual(refused.code, 0);
    process.kill(child.pid!, "SIGTERM");
    assert.equal(await exited, 0, output);
    assert.match(output, /login ann/);
    assert.match(output, /upload \/up\.txt 8 bytes/);
    assert.match(output, /download \/hello\.txt 15 bytes/);
    assert.match(output, /stopped/);
  } finally {
    clearTimeout(guard);
    child.kill("SIGKILL");
    await dir.remove();
  }
});

test("ftpkit serve --help, a bad option, a missing directory", async () => {
  const [command, ...prefix] = cliCommand();
  const help = await runProcess(command, [...prefix, "serve", "--help"], { timeoutMs: 30_000 });
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /Usage: ftpkit serve/);
  const bad = await runProcess(command, [...prefix, "serve", "--bogus"], { timeoutMs: 30_000 });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown option: --bogus/);
  const missing = await runProcess(command, [
    ...prefix,
    "serve",
    "-d",
    "/nonexistent/ftpkit",
    "--port",
    "0",
  ], {
    timeoutMs: 30_000,
  });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /is not a readable directory/);
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { SERVER_TLS } from "../_helpers.ts";
import { type CliTestServer, putFile, runCli, startCliTestServer } from "./_cli.ts";

const CA_FILE = fileURLToPath(new URL("../fixtures/ca.pem", import.meta.url));
const text = new TextEncoder();

describe("ftpkit client commands: explicit FTPS, certificates, active mode", () => {
  let server: CliTestServer;
  before(async () => {
    server = await startCliTestServer({ tls: SERVER_TLS, requireTls: true, requireDataTls: true });
    await putFile(server.io, "/secret.txt", text.encode("over TLS"));
  });
  after(() => server?.close());

  test("--tls with --ca-cert lists and downloads over a protected data channel", async () => {
    const url = `ftp://u:p@localhost:${server.port}`;
    const ls = await runCli(["ls", "--tls", "--ca-cert", CA_FILE, `${url}/`]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, "secret.txt\n");
    const get = await runCli(["get", "--tls", "--ca-cert", CA_FILE, `${url}/secret.txt`, "-"]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout, "over TLS");
  });

  test("an unknown CA is a connection error (3); --insecure accepts it", async () => {
    const url = `ftp://u:p@localhost:${server.port}/`;
    const untrusted = await runCli(["ls", "--tls", url]);
    assert.equal(untrusted.code, 3, untrusted.stderr);
    const insecure = await runCli(["ls", "--tls", "--insecure", url]);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.equal(insecure.stdout, "secret.txt\n");
  });

  test("without --tls the server refuses the login (3); a missing --ca-cert file is a usage error (2)", async () => {
    const plain = await runCli(["ls", `ftp://u:p@localhost:${server.port}/`]);
    assert.equal(plain.code, 3, plain.stderr);
    const missing = await runCli([
      "ls",
      "--tls",
      "--ca-cert",
      "/no/such/ca.pem",
      `ftp://u:p@localhost:${server.port}/`,
    ]);
    assert.equal(missing.code, 2, missing.stderr);
  });
});

describe("ftpkit client commands: implicit FTPS and active mode", () => {
  let implicit: CliTestServer;
  let plain: CliTestServer;
  before(async () => {
    implicit = await startCliTestServer({ tls: SERVER_TLS, implicitTls: true });
    plain = await startCliTestServer();
    await putFile(implicit.io, "/a.txt", text.encode("implicit"));
    await putFile(plain.io, "/b.txt", text.encode("active"));
  });
  after(async () => {
    await implicit?.close();
    await plain?.close();
  });

  test("ftps:// URLs speak TLS from the first byte", async () => {
    const run = await runCli([
      "get",
      "--ca-cert",
      CA_FILE,
      `ftps://u:p@localhost:${implicit.port}/a.txt`,
      "-",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "implicit");
    const both = await runCli(["ls", "--tls", `ftps://u:p@localhost:${implicit.port}/`]);
    assert.equal(both.code, 2, both.stderr);
  });

  test("--active transfers with PORT/EPRT (the server connects back)", async () => {
    const run = await runCli(["get", "--active", "-v", `${plain.url}/b.txt`, "-"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "active");
    assert.match(run.stderr, /^> (EPRT|PORT) /m);
    assert.doesNotMatch(run.stderr, /^> (EPSV|PASV)/m);
    assert.match(run.stderr, /^> PASS \*+/m, "the password is masked in the log");
  });
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pseudoRandomBytes, SERVER_TLS, sha256 } from "../_helpers.ts";
import {
  fixturePath,
  getFile,
  putFile,
  runProcess,
  startServer,
  type TestServer,
} from "./_setup.ts";

const CA = fixturePath("ca.pem");

async function curl(...args: string[]) {
  const r = await runProcess("curl", ["-sS", "--max-time", "30", ...args]);
  return { ...r, text: new TextDecoder().decode(r.stdout) };
}

describe("server with curl", () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startServer();
    dir = await mkdtemp(join(tmpdir(), "ftpkit-curl-"));
  });
  after(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("upload creating directories, download, list and name list", async () => {
    const data = pseudoRandomBytes(2 * 1024 * 1024 + 123, 7);
    const local = join(dir, "up.bin");
    await writeFile(local, data);
    const up = await curl("--ftp-create-dirs", "-T", local, `${t.url}/a/b/up.bin`);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await sha256(await getFile(t.io, "/a/b/up.bin")), await sha256(data));
    const down = await curl(`${t.url}/a/b/up.bin`);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await sha256(down.stdout), await sha256(data));
    const list = await curl(`${t.url}/a/b/`);
    assert.match(
      list.text,
      /^-rw-r--r-- +1 ftp ftp +2097275 \w{3} [ \d]\d (\d\d:\d\d| \d{4}) up\.bin\r?\n$/,
    );
    const names = await curl("-l", `${t.url}/a/b/`);
    assert.equal(names.text.trim(), "up.bin");
  });

  test("mkdir, rename and delete with -Q, names with spaces and quotes", async () => {
    await putFile(t.io, "/r/old name.txt", new TextEncoder().encode("hello"));
    const r = await curl(
      "-Q",
      'MKD r/new "dir"',
      "-Q",
      "RNFR r/old name.txt",
      "-Q",
      'RNTO r/new "dir"/renamed.txt',
      `${t.url}/r/`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await t.io.isFile('/r/new "dir"/renamed.txt'));
    assert.ok(!(await t.io.exists("/r/old name.txt")));
    const del = await curl(
      "-Q",
      'DELE r/new "dir"/renamed.txt',
      "-Q",
      'RMD r/new "dir"',
      `${t.url}/`,
    );
    assert.equal(del.code, 0, del.stderr);
    assert.ok(!(await t.io.exists('/r/new "dir"')));
    const missing = await curl("-Q", "DELE nope.txt", `${t.url}/`);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /550/);
  });

  test("resume an upload and a download with -C -", async () => {
    const data = pseudoRandomBytes(1024 * 1024, 11);
    const local = join(dir, "resume.bin");
    await writeFile(local, data);
    await putFile(t.io, "/resume.bin", data.subarray(0, 300_000));
    const up = await curl("-C", "-", "-T", local, `${t.url}/resume.bin`);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(await sha256(await getFile(t.io, "/resume.bin")), await sha256(data));
    const partial = join(dir, "partial.bin");
    await writeFile(partial, data.subarray(0, 123_456));
    const down = await curl("-C", "-", "-o", partial, `${t.url}/resume.bin`);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await sha256(await readFile(partial)), await sha256(data));
  });

  test("active mode (PORT/EPRT) with -P", async () => {
    const data = pseudoRandomBytes(512 * 1024, 3);
    const local = join(dir, "active.bin");
    await writeFile(local, data);
    const up = await curl("-P", "127.0.0.1", "-T", local, `${t.url}/active.bin`);
    assert.equal(up.code, 0, up.stderr);
    const down = await curl("-P", "127.0.0.1", `${t.url}/active.bin`);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(await sha256(down.stdout), await sha256(data));
    const port = await curl("-P", "127.0.0.1", "--disable-eprt", `${t.url}/active.bin`);
    assert.equal(await sha256(port.stdout), await sha256(data));
  });
});

describe("server with curl over IPv6", () => {
  test("EPSV and EPRT on ::1", async () => {
    const t = await startServer({}, "::1");
    try {
      await putFile(t.io, "/v6.txt", new TextEncoder().encode("six"));
      const url = `ftp://u:p@[::1]:${t.port}/v6.txt`;
      const passive = await curl("-g", url);
      assert.equal(passive.code, 0, passive.stderr);
      assert.equal(new TextDecoder().decode(passive.stdout), "six");
      const active = await curl("-g", "-P", "-", url);
      assert.equal(active.code, 0, active.stderr);
      assert.equal(new TextDecoder().decode(active.stdout), "six");
    } finally {
      await t.close();
    }
  });
});

describe("server with curl over TLS", () => {
  test("explicit FTPS with --ssl-reqd, TLS required for login and data", async () => {
    const t = await startServer({
      tls: SERVER_TLS,
      requireTls: true,
      requireDataTls: true,
      requireTlsSessionReuse: true,
    });
    const dir = await mkdtemp(join(tmpdir(), "ftpkit-curl-tls-"));
    try {
      const data = pseudoRandomBytes(1024 * 1024 + 5, 5);
      const local = join(dir, "s.bin");
      await writeFile(local, data);
      const up = await curl("--ssl-reqd", "--cacert", CA, "-T", local, `${t.url}/s.bin`);
      assert.equal(up.code, 0, up.stderr);
      assert.equal(await sha256(await getFile(t.io, "/s.bin")), await sha256(data));
      const down = await curl("-v", "--ssl-reqd", "--cacert", CA, `${t.url}/s.bin`);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(await sha256(down.stdout), await sha256(data));
      // The data connection resumed the control connection's session: one full handshake only.
      assert.match(down.stderr, /re-using session ID/);
      assert.equal(down.stderr.match(/\(IN\), TLS handshake, Certificate \(11\)/g)?.length, 1);
      const list = await curl("--ssl-reqd", "--cacert", CA, `${t.url}/`);
      assert.match(list.text, /s\.bin/);
      const plain = await curl(`${t.url}/s.bin`);
      assert.notEqual(plain.code, 0);
      assert.match(plain.stderr, /530|denied/i);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("implicit FTPS (ftps://)", async () => {
    const t = await startServer({ tls: SERVER_TLS, implicitTls: true });
    try {
      await putFile(t.io, "/i.txt", new TextEncoder().encode("implicit"));
      const down = await curl("--cacert", CA, `ftps://u:p@127.0.0.1:${t.port}/i.txt`);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(new TextDecoder().decode(down.stdout), "implicit");
    } finally {
      await t.close();
    }
  });
});

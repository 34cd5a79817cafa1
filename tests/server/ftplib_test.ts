import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { pseudoRandomBytes, SERVER_TLS, sha256 } from "../_helpers.ts";
import {
  fixturePath,
  getFile,
  putFile,
  PYTHON,
  runProcess,
  serverTestFile,
  startServer,
} from "./_setup.ts";

async function ftplib(port: number, scenario: string, ...extra: string[]) {
  const r = await runProcess(PYTHON, [
    serverTestFile("ftplib_client.py"),
    String(port),
    scenario,
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

describe("server with Python ftplib", () => {
  test("MKD, CWD, STOR, SIZE, MDTM, MLSD, MLST, APPE, REST, HASH, RANG, LIST, NLST", async () => {
    const t = await startServer();
    try {
      const out = await ftplib(t.port, "files");
      assert.equal(out.pwd, "/dir one");
      assert.equal(out.size, 300_000);
      assert.match(out.mdtm, /^213 \d{14}$/);
      assert.deepEqual(out.mlsd, [["f.bin", "file", "300000"]]);
      assert.match(
        out.mlst,
        /^250-.*\n type=file;size=300000;modify=\d{14};perm=rawfd;unix.mode=0644; \/dir one\/f\.bin\n250 /,
      );
      assert.equal(out.rest_ok, true);
      assert.equal(out.sha256, out.expected);
      assert.equal(out.sha256, await sha256(await getFile(t.io, "/dir one/f.bin")));
      assert.equal(out.hash, `213 SHA-256 0-300004 ${out.expected} /dir one/f.bin`);
      assert.equal(out.md5, `213 MD5 0-300004 ${out.md5_expected} /dir one/f.bin`);
      assert.equal(out.range, `213 MD5 10-20 ${out.range_expected} /dir one/f.bin`);
      assert.equal(out.list.length, 1);
      assert.match(out.list[0], /^-rw-r--r-- .* 300004 .* f\.bin$/);
      assert.deepEqual(out.nlst, ["f.bin"]);
    } finally {
      await t.close();
    }
  });

  test("ABOR in the middle of a RETR: 426 then 226, connection still usable", async () => {
    // A speed limit keeps the transfer running long enough to abort it.
    const t = await startServer({ writeSpeedLimit: 2 * 1024 * 1024 });
    try {
      await putFile(t.io, "/big.bin", pseudoRandomBytes(8 * 1024 * 1024, 4));
      const out = await ftplib(t.port, "abort");
      assert.deepEqual(out, { first: "426", second: "226", noop: "200", size: 8 * 1024 * 1024 });
    } finally {
      await t.close();
    }
  });

  test("FTP_TLS with prot_p: upload, passive and active download, MLSD", async () => {
    const t = await startServer({ tls: SERVER_TLS, requireDataTls: true });
    try {
      const out = await ftplib(t.port, "tls", fixturePath("ca.pem"));
      assert.equal(out.same, true);
      assert.equal(out.active_same, true);
      assert.equal(out.sha256, await sha256(await getFile(t.io, "/tls.bin")));
      assert.deepEqual(out.mlsd, ["tls.bin"]);
    } finally {
      await t.close();
    }
  });

  test("a data connection that does not resume the TLS session is refused when reuse is required", async () => {
    const t = await startServer({ tls: SERVER_TLS, requireTlsSessionReuse: true });
    try {
      await putFile(t.io, "/f.txt", new TextEncoder().encode("x"));
      const out = await ftplib(t.port, "tls_no_reuse", fixturePath("ca.pem"));
      assert.deepEqual(out, { reply: "522", noop: "200" });
    } finally {
      await t.close();
    }
  });
});

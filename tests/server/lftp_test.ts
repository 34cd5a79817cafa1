import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pseudoRandomBytes, SERVER_TLS, sha256, tempDir } from "../_helpers.ts";
import { fixturePath, getFile, runProcess, startServer } from "./_setup.ts";

test("lftp mirrors a tree up and back over FTPS with TLS 1.2 (MLSD, PASV, PROT P)", async () => {
  const t = await startServer({ tls: SERVER_TLS, requireTls: true, requireDataTls: true });
  const dir = await tempDir("ftpkit-lftp-");
  try {
    const source = join(dir.path, "source");
    const back = join(dir.path, "back");
    const big = pseudoRandomBytes(700_000, 21);
    await mkdir(join(source, "sub dir"), { recursive: true });
    await writeFile(join(source, "a.txt"), "one\n");
    await writeFile(join(source, "sub dir", "b.bin"), big);
    const script = [
      `set ssl:ca-file ${fixturePath("ca.pem")}`,
      "set ftp:ssl-force true",
      "set ftp:ssl-protect-data true",
      // lftp closes an upload's data connection without reading the TLS 1.3 session tickets the
      // server sent after the handshake, so the kernel sends RST instead of FIN and the end of the
      // upload can be lost (426, then lftp retries). TLS 1.2 has no post-handshake tickets.
      "set ssl:priority NORMAL:-VERS-TLS1.3",
      "set net:max-retries 1",
      "set net:timeout 20",
      `open -u u,p ftp://127.0.0.1:${t.port}`,
      `mirror -R ${source} /tree`,
      `mirror /tree ${back}`,
      "cls -1 /tree",
    ].join("; ");
    const r = await runProcess("lftp", ["-c", script], { timeoutMs: 60_000 });
    const out = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, 0, r.stderr + out);
    assert.match(out, /a\.txt/);
    assert.equal(await sha256(await getFile(t.io, "/tree/sub dir/b.bin")), await sha256(big));
    assert.equal(await sha256(await readFile(join(back, "sub dir", "b.bin"))), await sha256(big));
    assert.equal(await readFile(join(back, "a.txt"), "utf8"), "one\n");
  } finally {
    await t.close();
    await dir.remove();
  }
});

/**
 * The client against servers nobody here wrote: vsftpd, pyftpdlib (with and
 * without MLSx) and ftp-srv, started on loopback for each group. Every
 * operation runs in passive and active mode, plain and with explicit FTPS.
 */

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connectTo, runScenario } from "./_scenario.ts";
import { nodeSocketAdapter, setSocketAdapter } from "../../streams/mod.ts";
if (process.env.FTPKIT_NODE_ADAPTER) setSocketAdapter(nodeSocketAdapter);
import { type Peer, startFtpSrv, startPyftpdlib, startVsftpd } from "./_peers.ts";
import { TlsSessionReuseError } from "../../client/errors.ts";
import { readAll, RUNTIME } from "../_helpers.ts";
import { join } from "../../pathio/posix.ts";

function peerSuite(
  name: string,
  start: () => Promise<Peer>,
  modes: { passive: boolean; tls: boolean }[],
) {
  describe(`client against ${name}`, () => {
    let peer: Peer | undefined;
    before(async () => {
      peer = await start();
    });
    after(() => peer?.stop());
    for (const mode of modes) {
      test(`${mode.passive ? "passive" : "active"}${mode.tls ? ", explicit FTPS" : ""}`, async () => {
        await using client = await connectTo(peer!, mode);
        await runScenario(client);
      });
    }
  });
}

peerSuite("pyftpdlib (MLSD/MLST)", () => startPyftpdlib(), [
  { passive: true, tls: false },
  { passive: false, tls: false },
]);

peerSuite("pyftpdlib without MLSD/MLST (LIST fallback)", () => startPyftpdlib({ mlsx: false }), [
  { passive: true, tls: false },
  { passive: false, tls: false },
]);

// pyftpdlib does not require TLS session reuse, so FTPS works on every runtime.
peerSuite("pyftpdlib FTPS", () => startPyftpdlib({ tls: true }), [
  { passive: true, tls: true },
  { passive: false, tls: true },
]);

peerSuite("vsftpd", () => startVsftpd(), [
  { passive: true, tls: false },
  { passive: false, tls: false },
]);

peerSuite("ftp-srv", () => startFtpSrv(), [
  { passive: true, tls: false },
  { passive: false, tls: false },
]);

describe("client against vsftpd FTPS (require_ssl_reuse=YES)", () => {
  let peer: Peer | undefined;
  before(async () => {
    peer = await startVsftpd({ tls: true });
  });
  after(() => peer?.stop());

  // Node and Bun can resume the control connection's session; Deno has no API.
  const resumes = RUNTIME !== "deno";

  test(`passive: ${resumes ? "resumes the TLS session" : "fails with TlsSessionReuseError"}`, async () => {
    await using client = await connectTo(peer!, { passive: true, tls: true });
    assert.equal(await probeResume(client), resumes);
    if (resumes) await runScenario(client);
  });

  // In active mode the client upgrades a connection it accepted; Bun's native
  // adapter does not resume the session there (the node:tls one does), so on
  // Bun either outcome is valid, but a failure must still be the documented one.
  test(`active: ${RUNTIME === "node" ? "resumes the TLS session" : "resumes or fails clearly"}`, async () => {
    await using client = await connectTo(peer!, { passive: false, tls: true });
    const resumed = await probeResume(client);
    if (RUNTIME !== "bun") assert.equal(resumed, resumes);
    if (resumed) await runScenario(client);
  });
});

/**
 * A first protected transfer: it works when the adapter resumes sessions
 * (node:tls on Node and Bun), else it must fail with the documented error.
 */
async function probeResume(client: Awaited<ReturnType<typeof connectTo>>): Promise<boolean> {
  const base = await client.getCurrentDirectory();
  try {
    const up = await client.uploadStream(join(base, "probe.txt"));
    await new Blob(["probe"]).stream().pipeTo(up.writable);
    await up.finish();
  } catch (err) {
    assert.ok(err instanceof TlsSessionReuseError, `expected TlsSessionReuseError, got ${err}`);
    assert.match(err.message, /resume/);
    assert.deepEqual(err.receivedCodes, ["522"]);
    return false;
  }
  const down = await client.downloadStream(join(base, "probe.txt"));
  assert.equal(new TextDecoder().decode(await readAll(down.readable)), "probe");
  await down.finish();
  await client.removeFile(join(base, "probe.txt"));
  return true;
}

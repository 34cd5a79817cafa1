/**
 * The client against ftpkit's own server: every operation, plain, explicit
 * and implicit FTPS, passive and active, plus HASH verification and speed
 * limits (the only peer here with HASH).
 */

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "../../client/mod.ts";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Permission } from "../../server/permission.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { CA_PEM, pseudoRandomStream, readAll, SERVER_TLS } from "../_helpers.ts";
import type { Peer } from "./_peers.ts";
import { connectTo, runScenario } from "./_scenario.ts";

async function startFtpkit(
  options: { implicitTls?: boolean } = {},
): Promise<Peer & { server: Server }> {
  const server = new Server({
    pathIO: new MemoryPathIO(),
    users: [new User({ login: "user", password: "pw", permissions: [new Permission("/")] })],
    tls: SERVER_TLS,
    implicitTls: options.implicitTls ?? false,
  });
  const address = await server.start("127.0.0.1", 0);
  return {
    name: "ftpkit",
    host: "127.0.0.1",
    port: address.port,
    user: "user",
    password: "pw",
    root: "/",
    tls: true,
    server,
    output: () => "",
    stop: () => server.close(),
  };
}

describe("client against ftpkit's server", () => {
  let peer: (Peer & { server: Server }) | undefined;
  before(async () => {
    peer = await startFtpkit();
  });
  after(() => peer?.stop());

  for (
    const mode of [
      { passive: true, tls: false },
      { passive: false, tls: false },
      { passive: true, tls: true },
      { passive: false, tls: true },
    ]
  ) {
    test(`${mode.passive ? "passive" : "active"}${mode.tls ? ", explicit FTPS" : ""}`, async () => {
      await using client = await connectTo(peer!, mode);
      assert.ok((await client.features()).has("HASH"), "ftpkit's server offers HASH");
      await runScenario(client);
    });
  }

  test("speed limits hold a transfer back, and progress reports the rate", async () => {
    const limit = 256 * 1024;
    await using client = await connectTo(peer!, { passive: true, tls: false }, {
      readSpeedLimit: limit,
      writeSpeedLimit: limit,
    });
    const size = 128 * 1024;
    const rates: number[] = [];
    let start = performance.now();
    const up = await client.uploadStream("/throttled.bin");
    await pseudoRandomStream(size, 16 * 1024).pipeTo(up.writable);
    await up.finish();
    const uploadMs = performance.now() - start;
    start = performance.now();
    const down = await client.downloadStream("/throttled.bin", {
      onProgress: (p) => rates.push(p.bytesPerSecond),
    });
    assert.equal((await readAll(down.readable)).byteLength, size);
    await down.finish();
    const downloadMs = performance.now() - start;
    // A bucket allows a small burst, so the floor is a bit under size / limit.
    const floor = (size / limit) * 1000 * 0.6;
    assert.ok(uploadMs >= floor, `upload took ${uploadMs} ms, limit implies >= ${floor}`);
    assert.ok(downloadMs >= floor, `download took ${downloadMs} ms, limit implies >= ${floor}`);
    assert.ok(rates.length > 0 && rates.every((r) => r > 0));
    await client.removeFile("/throttled.bin");
  });
});

describe("client against ftpkit's server with implicit FTPS", () => {
  let peer: (Peer & { server: Server }) | undefined;
  before(async () => {
    peer = await startFtpkit({ implicitTls: true });
  });
  after(() => peer?.stop());

  test("ftps:// URL with credentials, passive and active", async () => {
    for (const passive of [true, false]) {
      await using client = await Client.context(`ftps://user:pw@127.0.0.1:${peer!.port}/`, {
        tls: { caCerts: [CA_PEM], serverName: "localhost" },
        passive,
        socketTimeout: 10_000,
      });
      await runScenario(client);
    }
  });
});

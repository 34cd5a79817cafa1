import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { Client } from "basic-ftp";
import { CA_PEM, pseudoRandomBytes, SERVER_TLS, sha256 } from "../_helpers.ts";
import { getFile, startServer } from "./_setup.ts";

function collector(): { sink: Writable; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { sink, bytes: () => new Uint8Array(Buffer.concat(chunks)) };
}

async function roundTrip(client: Client, io: Parameters<typeof getFile>[0]) {
  const data = pseudoRandomBytes(1536 * 1024 + 17, 9);
  await client.ensureDir("/nested/dir");
  await client.uploadFrom(Readable.from([Buffer.from(data)]), "file.bin");
  assert.equal(await sha256(await getFile(io, "/nested/dir/file.bin")), await sha256(data));
  assert.equal(await client.size("file.bin"), data.byteLength);
  assert.ok((await client.lastMod("file.bin")) instanceof Date);
  const list = await client.list();
  assert.deepEqual(list.map((f) => [f.name, f.isFile, f.size]), [[
    "file.bin",
    true,
    data.byteLength,
  ]]);
  const { sink, bytes } = collector();
  await client.downloadTo(sink, "file.bin");
  assert.equal(await sha256(bytes()), await sha256(data));
  await client.rename("file.bin", "../moved.bin");
  await client.cd("/nested");
  assert.deepEqual((await client.list()).map((f) => f.name).sort(), ["dir", "moved.bin"]);
  await client.remove("moved.bin");
  await client.removeDir("dir");
  assert.deepEqual(await client.list(), []);
}

describe("server with basic-ftp", () => {
  test("plain: ensureDir, upload, size, lastMod, list, download, rename, remove", async () => {
    const t = await startServer();
    const client = new Client(20_000);
    try {
      await client.access({ host: "127.0.0.1", port: t.port, user: "u", password: "p" });
      const features = await client.features();
      assert.ok(features.has("MLST") && features.has("EPSV") && features.has("HASH"));
      await roundTrip(client, t.io);
    } finally {
      client.close();
      await t.close();
    }
  });

  test("explicit FTPS (secure: true) with TLS data connections", async () => {
    const t = await startServer({ tls: SERVER_TLS, requireTls: true, requireDataTls: true });
    const client = new Client(20_000);
    try {
      await client.access({
        host: "127.0.0.1",
        port: t.port,
        user: "u",
        password: "p",
        secure: true,
        secureOptions: { ca: [CA_PEM], servername: "localhost" },
      });
      await roundTrip(client, t.io);
    } finally {
      client.close();
      await t.close();
    }
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { pseudoRandomBytes, sha256 } from "../_helpers.ts";
import { RawFtp } from "./_raw_client.ts";
import { getFile, startServer } from "./_setup.ts";

const CLIENTS = 200;
const SIZE = 1024 * 1024;

test(`${CLIENTS} concurrent clients each upload and download ${SIZE} bytes intact`, async () => {
  const t = await startServer();
  let uploads = 0;
  t.server.on("upload", () => uploads++);
  try {
    const results = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const data = pseudoRandomBytes(SIZE, i + 1);
        const c = await RawFtp.connect(t.port);
        try {
          assert.equal((await c.login("u", "p")).code, 230);
          assert.equal((await c.send("TYPE I")).code, 200);
          const up = await c.transfer(`STOR client-${i}.bin`, data);
          assert.equal(up.final.code, 226, up.final.text);
          const down = await c.transfer(`RETR client-${i}.bin`);
          assert.equal(down.final.code, 226, down.final.text);
          assert.equal(await sha256(down.data), await sha256(data), `client ${i} got other bytes`);
          assert.equal((await c.send("QUIT")).code, 221);
          return await sha256(data);
        } finally {
          c.close();
        }
      }),
    );
    assert.equal(uploads, CLIENTS);
    for (const i of [0, 99, CLIENTS - 1]) {
      assert.equal(await sha256(await getFile(t.io, `/client-${i}.bin`)), results[i]);
    }
  } finally {
    await t.close();
  }
});

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BufferedReader, LineTooLongError } from "../../streams/mod.ts";
import { RUNTIME } from "../_helpers.ts";
import { adaptersUnderTest, startServer, within } from "./_adapter_helpers.ts";

const LINE = 1024 * 1024;
const MAX_LINE = 8192;

for (const adapter of adaptersUnderTest()) {
  describe(`${adapter.name} adapter on ${RUNTIME}: line limit on a socket`, () => {
    const stops: (() => void)[] = [];
    after(() => stops.forEach((stop) => stop()));

    test("a 1 MiB line is refused without being buffered", async () => {
      const server = await startServer(adapter, {}, async (conn) => {
        const writer = conn.writable.getWriter();
        const block = new Uint8Array(64 * 1024).fill(0x41);
        for (let sent = 0; sent < LINE; sent += block.byteLength) await writer.write(block);
        await writer.write(new TextEncoder().encode("\r\n"));
        await writer.close();
      });
      stops.push(server.stop);
      const conn = await adapter.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        const reader = new BufferedReader(conn.readable, { maxLineLength: MAX_LINE });
        await assert.rejects(within(reader.readLine(), 5000, "readLine"), LineTooLongError);
        // Refused as soon as the limit is passed: at most one read chunk beyond it.
        assert.ok(reader.buffered < LINE / 4, `${reader.buffered} bytes buffered`);
        await reader.cancel();
      } finally {
        conn.close();
      }
    });
  });
}

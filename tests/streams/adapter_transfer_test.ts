import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BufferedReader, detectSocketAdapter } from "../../streams/mod.ts";
import { CA_PEM, RUNTIME, SERVER_TLS } from "../_helpers.ts";
import {
  adaptersUnderTest,
  echo,
  expectedDigest,
  pausedTlsCaveat,
  roundTrip,
  startServer,
  within,
  writeText,
} from "./_adapter_helpers.ts";

const SIZE = 64 * 1024 * 1024;
const CLIENT_TLS = { caCerts: [CA_PEM], serverName: "localhost" };
const dec = new TextDecoder();
const expected = expectedDigest(SIZE);

test("the detected adapter is the runtime's own", () => {
  assert.equal(detectSocketAdapter().name, RUNTIME);
});

for (const adapter of adaptersUnderTest()) {
  describe(`${adapter.name} adapter on ${RUNTIME}: 64 MiB echo`, () => {
    const stops: (() => void)[] = [];
    after(() => stops.forEach((stop) => stop()));

    test("plain TCP", async () => {
      const server = await startServer(adapter, {}, echo);
      stops.push(server.stop);
      const conn = await adapter.connect({ hostname: "127.0.0.1", port: server.port });
      try {
        assert.equal(conn.tls, null);
        assert.equal(conn.remoteAddress.port, server.port);
        assert.deepEqual(await within(roundTrip(conn, SIZE), 45_000, "echo"), await expected);
      } finally {
        conn.close();
      }
    });

    const skip = pausedTlsCaveat(adapter);

    test("implicit TLS", { skip }, async () => {
      const server = await startServer(adapter, { tls: SERVER_TLS }, echo);
      stops.push(server.stop);
      const conn = await adapter.connect({
        hostname: "127.0.0.1",
        port: server.port,
        tls: CLIENT_TLS,
      });
      try {
        assert.notEqual(conn.tls, null);
        assert.deepEqual(await within(roundTrip(conn, SIZE), 45_000, "TLS echo"), await expected);
      } finally {
        conn.close();
      }
    });

    test("AUTH TLS upgrade on both sides, then echo", { skip }, async () => {
      const server = await startServer(adapter, {}, async (plain) => {
        const reader = new BufferedReader(plain.readable);
        assert.equal(dec.decode((await reader.readLine())!), "AUTH TLS");
        assert.equal(reader.release().byteLength, 0);
        await writeText(plain, "234 go ahead\r\n");
        const secure = await plain.startTlsServer(SERVER_TLS);
        await echo(secure);
      });
      stops.push(server.stop);
      const plain = await adapter.connect({ hostname: "127.0.0.1", port: server.port });
      let secure;
      try {
        await writeText(plain, "AUTH TLS\r\n");
        const reader = new BufferedReader(plain.readable);
        assert.equal(dec.decode((await reader.readLine())!), "234 go ahead");
        reader.release();
        secure = await within(plain.startTlsClient(CLIENT_TLS), 10_000, "client upgrade");
        assert.notEqual(secure.tls, null);
        assert.deepEqual(await within(roundTrip(secure, SIZE), 45_000, "echo"), await expected);
      } finally {
        secure?.close();
        plain.close();
      }
      await within(plain.closed, 5000, "closed of the upgraded connection");
    });

    test("active-mode style: the connecting side is the TLS server", { skip }, async () => {
      // An FTPS server in active mode connects to the client and plays the TLS server.
      const small = 8 * 1024 * 1024;
      const client = await startServer(adapter, {}, async (plain) => {
        const secure = await plain.startTlsClient(CLIENT_TLS);
        return await roundTrip(secure, small);
      });
      stops.push(client.stop);
      const plain = await adapter.connect({ hostname: "127.0.0.1", port: client.port });
      try {
        const secure = await within(plain.startTlsServer(SERVER_TLS), 10_000, "server upgrade");
        await within(echo(secure), 20_000, "echo");
        assert.deepEqual(await client.served[0], await expectedDigest(small));
      } finally {
        plain.close();
      }
    });
  });
}

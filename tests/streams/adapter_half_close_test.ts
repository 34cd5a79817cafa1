import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection } from "../../streams/mod.ts";
import { CA_PEM, delay, readAll, RUNTIME, SERVER_TLS } from "../_helpers.ts";
import { adaptersUnderTest, startServer, within } from "./_adapter_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Send `text`, then half-close. */
async function sendAndCloseWrite(conn: Connection, text: string): Promise<void> {
  const writer = conn.writable.getWriter();
  await writer.write(enc.encode(text));
  writer.releaseLock();
  await conn.closeWrite();
}

/** Read to EOF, wait 50 ms, then reply and half-close. */
async function replyAfterEof(conn: Connection, reply: string): Promise<string> {
  const received = dec.decode(await readAll(conn.readable));
  await delay(50);
  await sendAndCloseWrite(conn, reply);
  return received;
}

for (const adapter of adaptersUnderTest()) {
  for (const secure of [false, true]) {
    const kind = secure ? "TLS" : "TCP";
    describe(`${adapter.name} adapter on ${RUNTIME}: half-close over ${kind}`, () => {
      const stops: (() => void)[] = [];
      after(() => stops.forEach((stop) => stop()));
      const connect = (port: number) =>
        adapter.connect({
          hostname: "127.0.0.1",
          port,
          tls: secure ? { caCerts: [CA_PEM], serverName: "localhost" } : undefined,
        });
      const listenOptions = secure ? { tls: SERVER_TLS } : {};

      test("the client closes its write side and still reads the late reply", async () => {
        const server = await startServer(
          adapter,
          listenOptions,
          (conn) => replyAfterEof(conn, "reply after your EOF"),
        );
        stops.push(server.stop);
        const conn = await connect(server.port);
        try {
          await sendAndCloseWrite(conn, "request");
          const reply = dec.decode(await within(readAll(conn.readable), 5000, "client read"));
          assert.equal(reply, "reply after your EOF");
          assert.equal(await server.served[0], "request");
          await within(conn.closed, 5000, "closed after both directions ended");
        } finally {
          conn.close();
        }
      });

      test("close() with unread data queued ends both sides promptly", async () => {
        const server = await startServer(adapter, listenOptions, async (conn) => {
          const writer = conn.writable.getWriter();
          const chunk = new Uint8Array(1024 * 1024);
          // Ends with an error once the client is gone; bounded in case it never goes.
          for (let i = 0; i < 256; i++) await writer.write(chunk);
        });
        stops.push(server.stop);
        const conn = await connect(server.port);
        await delay(300); // the read queue fills up; the socket is paused
        conn.close();
        await within(conn.closed, 3000, "closed after close()");
        const outcome = await within(server.served[0], 5000, "server's writes");
        assert.ok(outcome instanceof Error, "the server's writes fail once the client is gone");
      });

      test("the server closes its write side and still reads the late reply", async () => {
        let fromClient: Promise<string> | undefined;
        const server = await startServer(adapter, listenOptions, async (conn) => {
          fromClient = (async () => {
            await sendAndCloseWrite(conn, "greeting, then EOF");
            return dec.decode(await readAll(conn.readable));
          })();
          return await fromClient;
        });
        stops.push(server.stop);
        const conn = await connect(server.port);
        try {
          const seen = await within(replyAfterEof(conn, "late answer"), 5000, "client side");
          assert.equal(seen, "greeting, then EOF");
          assert.equal(await within(server.served[0], 5000, "server side"), "late answer");
        } finally {
          conn.close();
        }
      });
    });
  }
}

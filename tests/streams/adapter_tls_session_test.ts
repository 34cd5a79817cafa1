import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { BufferedReader, type Connection, type TlsSession } from "../../streams/mod.ts";
import { CA_PEM, RUNTIME, SERVER_TLS } from "../_helpers.ts";
import { adaptersUnderTest, startServer, within, writeText } from "./_adapter_helpers.ts";

const CLIENT_TLS = { caCerts: [CA_PEM], serverName: "localhost" };
const dec = new TextDecoder();

/**
 * Whether a client of this adapter can resume a session on this runtime.
 * Deno has no client API for it, natively or through node:tls (the `session`
 * option has no effect there).
 */
const canResume = (adapterName: string) => RUNTIME !== "deno" && adapterName !== "deno";

/** Greets, then waits for the client to hang up. */
async function greet(conn: Connection): Promise<boolean | undefined> {
  // Asked now: some runtimes forget it once the socket is closed.
  const reused = conn.tls?.sessionReused;
  await writeText(conn, "220 hello\r\n");
  const reader = new BufferedReader(conn.readable);
  if (await reader.readLine()) await writeText(conn, "200 ok\r\n");
  await reader.cancel();
  return reused;
}

/**
 * Reads the greeting and makes one more round trip, as an FTP client does
 * before it opens a data connection: by then TLS 1.3 session tickets have
 * arrived (a server may send them after its first data).
 */
async function readGreeting(conn: Connection): Promise<void> {
  const reader = new BufferedReader(conn.readable);
  assert.equal(dec.decode((await within(reader.readLine(), 5000, "greeting"))!), "220 hello");
  await writeText(conn, "NOOP\r\n");
  assert.equal(dec.decode((await within(reader.readLine(), 5000, "reply"))!), "200 ok");
  reader.release();
}

for (const adapter of adaptersUnderTest()) {
  describe(`${adapter.name} adapter on ${RUNTIME}: TLS session resumption`, () => {
    const stops: (() => void)[] = [];
    after(() => stops.forEach((stop) => stop()));

    test("a second connection offering the first one's session resumes it", async () => {
      // Control port (implicit TLS) and an FTPS-style data port (plain, upgraded
      // server-side) share one ServerTlsOptions object, so one secure context.
      const control = await startServer(adapter, { tls: SERVER_TLS }, greet);
      stops.push(control.stop);
      const data = await startServer(adapter, {}, async (plain) => {
        return await greet(await plain.startTlsServer(SERVER_TLS));
      });
      stops.push(data.stop);

      const first = await adapter.connect({
        hostname: "127.0.0.1",
        port: control.port,
        tls: CLIENT_TLS,
      });
      let session: TlsSession | undefined;
      try {
        await readGreeting(first);
        session = first.tlsSession();
        if (adapter.name === "deno") {
          assert.equal(session, undefined, "Deno cannot resume sessions as a client");
        } else if (canResume(adapter.name)) {
          assert.ok(session, "a session to offer");
          assert.equal(session.adapter, adapter.name);
        }

        const second = await adapter.connect({
          hostname: "127.0.0.1",
          port: control.port,
          tls: { ...CLIENT_TLS, session },
        });
        await readGreeting(second);
        second.close();

        const plain = await adapter.connect({ hostname: "127.0.0.1", port: data.port });
        const third = await plain.startTlsClient({ ...CLIENT_TLS, session });
        await readGreeting(third);
        third.close();
      } finally {
        first.close();
      }
      const reusedSameListener = await within(control.served[1], 5000, "second served");
      const reusedDataPort = await within(data.served[0], 5000, "data served");
      assert.equal(reusedSameListener, canResume(adapter.name), "resumed on the same listener");
      assert.equal(reusedDataPort, canResume(adapter.name), "resumed on the data listener");
    });
  });
}

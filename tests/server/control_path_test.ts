import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { delay, pseudoRandomBytes } from "../_helpers.ts";
import { ServerEvents } from "../../server/events.ts";
import type {
  Connection,
  Listener,
  ListenOptions,
  SocketAdapter,
} from "../../streams/connection.ts";
import { ConnectionClosedError } from "../../streams/errors.ts";
import { getSocketAdapter } from "../../streams/socket_adapter.ts";
import { RawFtp } from "./_raw_client.ts";
import { putFile, startServer } from "./_setup.ts";

/**
 * Connections whose writes after the first `passing` never complete (a client
 * that stopped reading, with every buffer full), until the connection is closed.
 */
function stallingAdapter(passing: number): SocketAdapter {
  const inner = getSocketAdapter();
  const wrap = (conn: Connection): Connection => {
    const writer = conn.writable.getWriter();
    const stalled: Array<(err: Error) => void> = [];
    let writes = 0;
    const close = () => {
      for (const fail of stalled.splice(0)) fail(new ConnectionClosedError("closed"));
      conn.close();
    };
    const writable = new WritableStream<Uint8Array>({
      write(chunk) {
        if (++writes <= passing) return writer.write(chunk);
        return new Promise<void>((_, reject) => stalled.push(reject));
      },
      close: () => writer.close(),
    });
    // Accessors with private fields (tls) must not run on the wrapper.
    return Object.create(conn, {
      writable: { value: writable },
      close: { value: close },
      tls: { value: conn.tls },
    });
  };
  return {
    name: "stalling",
    connect: (options) => inner.connect(options),
    async listen(options: ListenOptions): Promise<Listener> {
      const listener = await inner.listen(options);
      return {
        address: listener.address,
        accept: async () => wrap(await listener.accept()),
        close: () => listener.close(),
        async *[Symbol.asyncIterator]() {
          while (true) {
            let conn: Connection;
            try {
              conn = await listener.accept();
            } catch {
              return;
            }
            yield wrap(conn);
          }
        },
      };
    },
  };
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await delay(10);
  }
  return true;
}

describe("server control path", () => {
  test("a reply the client never takes: the connection is closed after socketTimeout", async () => {
    const t = await startServer({ socketTimeout: 300, socketAdapter: stallingAdapter(1) });
    const c = await RawFtp.connect(t.port);
    try {
      assert.equal(c.greeting.code, 220);
      const start = Date.now();
      c.write("NOOP\r\n");
      // Not a second socketTimeout for the 451 that could follow, nor the 2 s close wait.
      const closed = await Promise.race([c.closed.then(() => true), delay(1500).then(() => false)]);
      assert.ok(closed, "the server kept a connection whose reply stalled beyond 1.5 s");
      assert.ok(Date.now() - start >= 250, `closed after ${Date.now() - start} ms`);
      assert.ok(await eventually(() => t.server.connectionCount === 0, 3000));
    } finally {
      c.close();
      await t.close();
    }
  });

  test("no idle timeout while a transfer runs; idle afterwards gets 421", async () => {
    const t = await startServer({ idleTimeout: 300, writeSpeedLimitPerConnection: 100_000 });
    const c = await RawFtp.connect(t.port);
    try {
      const body = pseudoRandomBytes(80_000); // about 0.8 s at the limit
      await putFile(t.io, "/slow", body);
      assert.equal((await c.login("u", "p")).code, 230);
      const start = Date.now();
      const { data, final } = await c.transfer("RETR slow");
      assert.ok(Date.now() - start >= 500, "the speed limit did not slow the transfer");
      assert.equal(final.code, 226);
      assert.equal(data.byteLength, body.byteLength);
      assert.equal((await c.read(3000)).code, 421);
      await c.closed;
    } finally {
      c.close();
      await t.close();
    }
  });

  test("a crowd sending QUIT at once: every client gets 221, then the server closes", async () => {
    const t = await startServer();
    const counts = { login: 0, logout: 0, disconnect: 0 };
    t.server.on("login", () => counts.login++);
    t.server.on("logout", () => counts.logout++);
    t.server.on("disconnect", () => counts.disconnect++);
    const clients: RawFtp[] = [];
    try {
      for (let i = 0; i < 40; i++) clients.push(await RawFtp.connect(t.port));
      for (const c of clients) assert.equal((await c.login("u", "p")).code, 230);
      for (const c of clients) c.write("QUIT\r\n");
      for (const c of clients) assert.equal((await c.read(5000)).code, 221);
      await Promise.all(clients.map((c) => c.closed));
      assert.ok(await eventually(() => t.server.connectionCount === 0, 3000));
      assert.deepEqual(counts, { login: 40, logout: 40, disconnect: 40 });
    } finally {
      for (const c of clients) c.close();
      await t.close();
    }
  });

  test("replies sent right before QUIT all arrive before the close", async () => {
    const t = await startServer();
    const c = await RawFtp.connect(t.port);
    try {
      // Pipelined: the server reads them one by one and answers each in order.
      c.write("USER u\r\nPASS p\r\nNOOP\r\nSYST\r\nFEAT\r\nQUIT\r\n");
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await c.read(5000)).code);
      assert.deepEqual(codes, [331, 230, 200, 215, 211, 221]);
      await c.closed;
    } finally {
      c.close();
      await t.close();
    }
  });
});

describe("ServerEvents", () => {
  test("has() counts listeners; unsubscribing twice removes one listener once", () => {
    const events = new ServerEvents();
    assert.equal(events.has("login"), false);
    const seen: number[] = [];
    const offA = events.on("connect", ({ sessionId }) => seen.push(sessionId));
    const offB = events.on("connect", ({ sessionId }) => seen.push(-sessionId));
    assert.equal(events.has("connect"), true);
    events.emit("connect", { sessionId: 1, remoteAddress: ADDRESS });
    offA();
    offA();
    assert.equal(events.has("connect"), true);
    events.emit("connect", { sessionId: 2, remoteAddress: ADDRESS });
    offB();
    assert.equal(events.has("connect"), false);
    events.emit("connect", { sessionId: 3, remoteAddress: ADDRESS });
    assert.deepEqual(seen, [1, -1, -2]);
  });
});

const ADDRESS = { hostname: "127.0.0.1", port: 1, family: "IPv4" as const };

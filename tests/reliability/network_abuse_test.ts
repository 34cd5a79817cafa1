import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Server } from "../../server/server.ts";
import type { ServerOptions } from "../../server/options.ts";
import { User } from "../../server/user.ts";
import { delay } from "../_helpers.ts";
import { pasvPort, RawSession } from "./_raw_session.ts";
import { eventually } from "./_resources.ts";
import { printRows } from "./_summary.ts";

const counts = {
  bounceAttempts: 0,
  bounceConnections: 0,
  foreignDataAttempts: 0,
  foreignDataAccepted: 0,
  slowClients: 0,
  slowClientsCut: 0,
  floodConnections: 0,
  flood421: 0,
  loginAttempts: 0,
  loginsCut: 0,
};

async function startServer(options: Partial<ServerOptions> = {}): Promise<{
  server: Server;
  port: number;
  io: MemoryPathIO;
}> {
  const io = new MemoryPathIO();
  const h = await io.open("/data.bin", "write");
  await h.write(new TextEncoder().encode("DATA-".repeat(1000)));
  await h.close();
  const server = new Server({
    pathIO: io,
    users: [new User({ login: "u", password: "p" })],
    failedLoginDelay: 10,
    waitFutureTimeout: 1500,
    ...options,
  });
  const { port } = await server.start("127.0.0.1", 0);
  return { server, port, io };
}

/** A listener on `host` that counts the connections it gets. */
async function countingListener(
  host: string,
): Promise<{ port: number; hits: () => number; close: () => void }> {
  let hits = 0;
  const server = net.createServer((s) => {
    hits++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    hits: () => hits,
    close: () => server.close(),
  };
}

describe("network abuse", () => {
  after(() => {
    printRows("network abuse", [
      [
        "bounce attempts (server connections made)",
        `${counts.bounceAttempts} (${counts.bounceConnections})`,
      ],
      [
        "foreign data connections (accepted)",
        `${counts.foreignDataAttempts} (${counts.foreignDataAccepted})`,
      ],
      ["slow-loris and idle clients (cut off)", `${counts.slowClients} (${counts.slowClientsCut})`],
      ["flood connections (answered 421)", `${counts.floodConnections} (${counts.flood421})`],
      ["storm login attempts (connections cut)", `${counts.loginAttempts} (${counts.loginsCut})`],
    ]);
  });

  test("FTP bounce: PORT/EPRT to another address or a privileged port never connects", async () => {
    const { server, port } = await startServer();
    const trap = await countingListener("127.0.0.2");
    try {
      const s = await RawSession.open(port);
      await s.login("u", "p");
      const p = trap.port;
      const targets = [
        `PORT 127,0,0,2,${p >> 8},${p & 0xff}`,
        `EPRT |1|127.0.0.2|${p}|`,
        `PORT 10,0,0,1,${p >> 8},${p & 0xff}`,
        `EPRT |1|192.168.1.1|${p}|`,
        `EPRT |2|::1|${p}|`,
        "PORT 127,0,0,1,0,25",
        "PORT 127,0,0,1,3,255",
        "EPRT |1|127.0.0.1|22|",
        "EPRT |1|127.0.0.1|0|",
        "PORT 127,0,0,1,0,0",
      ];
      for (const line of targets) {
        counts.bounceAttempts++;
        const r = await s.command(line);
        assert.ok(r.code >= 500, `${line} -> ${r.lines[0]}`);
        // A transfer after a refused PORT must not reach the earlier target either.
        const retr = await s.command("RETR data.bin");
        assert.ok(retr.code === 425 || retr.code >= 500, `RETR after ${line} -> ${retr.lines[0]}`);
      }
      await delay(100);
      counts.bounceConnections += trap.hits();
      assert.equal(trap.hits(), 0, "the server connected to a foreign target");
      s.close();
    } finally {
      trap.close();
      await server.close();
    }
  });

  test("a PASV data connection from a foreign address (127.0.0.2) is refused", async () => {
    const { server, port } = await startServer();
    try {
      const s = await RawSession.open(port);
      await s.login("u", "p");
      for (let round = 0; round < 5; round++) {
        counts.foreignDataAttempts++;
        const dataPort = pasvPort(await s.command("PASV"));
        const thief = net.connect({ host: "127.0.0.1", port: dataPort, localAddress: "127.0.0.2" });
        const stolen: Buffer[] = [];
        thief.on("data", (c: Buffer) => stolen.push(c));
        thief.on("error", () => {});
        const thiefClosed = new Promise<void>((r) => thief.on("close", () => r()));
        await new Promise<void>((r) => {
          thief.once("connect", () => r());
          thief.once("error", () => r());
        });
        // The owner connects too and gets the file.
        const owner = net.connect({ host: "127.0.0.1", port: dataPort });
        const got: Buffer[] = [];
        owner.on("data", (c: Buffer) => got.push(c));
        owner.on("error", () => {});
        const ownerClosed = new Promise<void>((r) => owner.on("close", () => r()));
        assert.equal((await s.command("RETR data.bin")).code, 150);
        assert.equal((await s.read()).code, 226);
        await Promise.race([ownerClosed, delay(3000)]);
        await Promise.race([thiefClosed, delay(3000)]);
        thief.destroy();
        owner.destroy();
        if (stolen.length > 0) counts.foreignDataAccepted++;
        assert.equal(Buffer.concat(stolen).length, 0, "the foreign connection received data");
        assert.equal(Buffer.concat(got).length, 5000);
      }
      s.close();
    } finally {
      await server.close();
    }
  });

  test("slow-loris and idle clients are disconnected by their timeouts", async () => {
    const { server, port } = await startServer({ idleTimeout: 600 });
    try {
      // Idle after login, idle before login, a byte every 150 ms that never ends a line,
      // and a client that never reads the greeting.
      const clients = await Promise.all([0, 1, 2, 3].map(() => RawSession.open(port)));
      await clients[0].login("u", "p");
      counts.slowClients += clients.length;
      const started = Date.now();
      // 40 drips span 6 s: ten times the idle timeout.
      const drip = (async () => {
        let i = 0;
        for (; i < 40 && !clients[2].closed; i++) {
          clients[2].write("N");
          await delay(150);
        }
        return i;
      })();
      clients[3].write("NOOP\r\n".repeat(1000));
      const allClosed = await eventually(() => clients.every((c) => c.closed), 8000);
      const drips = await drip;
      assert.ok(drips < 20, `a client dripping one byte per 150 ms stayed for ${drips} drips`);
      for (const c of clients) if (c.closed) counts.slowClientsCut++;
      const seconds = (Date.now() - started) / 1000;
      for (const c of clients) c.close();
      assert.ok(allClosed, `still connected after ${seconds}s: ${clients.map((c) => c.closed)}`);
      assert.ok(await eventually(() => server.connectionCount === 0, 3000));
    } finally {
      await server.close();
    }
  });

  test("connection floods beyond the limits are answered with 421", async () => {
    const { server, port } = await startServer({
      maximumConnections: 20,
      maximumConnectionsPerAddress: 12,
    });
    try {
      const open: RawSession[] = [];
      let refused = 0;
      const attempt = async (localAddress?: string) => {
        counts.floodConnections++;
        const s = await RawSession.open(port, { localAddress, skipGreeting: true });
        const reply = await s.read(5000);
        if (reply.code === 421) {
          refused++;
          counts.flood421++;
          await eventually(() => s.closed, 2000);
          assert.ok(s.closed, "a refused connection is closed");
          s.close();
        } else {
          assert.equal(reply.code, 220);
          open.push(s);
        }
      };
      // 30 from one address: 12 in, 18 refused (per address).
      await Promise.all(Array.from({ length: 30 }, () => attempt()));
      assert.equal(open.length, 12);
      assert.equal(refused, 18);
      // Another address still gets in, up to the server limit of 20.
      await Promise.all(Array.from({ length: 15 }, () => attempt("127.0.0.2")));
      assert.equal(open.length, 20);
      assert.equal(refused, 25);
      // Sessions still work under the flood.
      assert.equal((await open[0].command("NOOP")).code, 200);
      for (const s of open) s.close();
      assert.ok(await eventually(() => server.connectionCount === 0, 5000));
      // Slots are given back: a new client gets in.
      const later = await RawSession.open(port);
      assert.equal(later.greeting?.code, 220);
      later.close();
    } finally {
      await server.close();
    }
  });

  test("failed-login storms are delayed and cut off, pipelined or not", async () => {
    const delayMs = 150;
    const { server, port } = await startServer({ failedLoginDelay: delayMs, maxLoginAttempts: 3 });
    try {
      const storm = async () => {
        const s = await RawSession.open(port);
        const started = Date.now();
        // Ten guesses in one write: the server must still delay each and stop after three.
        s.write("USER u\r\nPASS wrong\r\n".repeat(10));
        counts.loginAttempts += 10;
        const codes: number[] = [];
        while (true) {
          try {
            codes.push((await s.read(5000)).code);
          } catch {
            break;
          }
        }
        const elapsed = Date.now() - started;
        await eventually(() => s.closed, 2000);
        if (s.closed) counts.loginsCut++;
        s.close();
        return { codes, elapsed, closed: s.closed };
      };
      const results = await Promise.all(Array.from({ length: 20 }, storm));
      for (const r of results) {
        assert.ok(r.closed, "cut off");
        assert.equal(r.codes.filter((c) => c === 230).length, 0);
        assert.equal(r.codes.filter((c) => c === 530).length, 2, r.codes.join(","));
        assert.equal(r.codes.at(-1), 421);
        assert.ok(r.elapsed >= 3 * delayMs * 0.9, `answered after ${r.elapsed} ms`);
      }
      assert.ok(await eventually(() => server.connectionCount === 0, 3000));
      // The right password still works afterwards.
      const ok = await RawSession.open(port);
      await ok.login("u", "p");
      ok.close();
    } finally {
      await server.close();
    }
  });
});

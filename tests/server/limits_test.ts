import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { delay, pseudoRandomBytes, sha256 } from "../_helpers.ts";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import type { PathStat } from "../../pathio/path_io.ts";
import { Permission } from "../../server/permission.ts";
import { User } from "../../server/user.ts";
import { RawFtp } from "./_raw_client.ts";
import { getFile, putFile, startServer } from "./_setup.ts";

describe("server limits", () => {
  test("maximum connections per server: 421 when full", async () => {
    const t = await startServer({ maximumConnections: 2 });
    const clients: RawFtp[] = [];
    try {
      clients.push(await RawFtp.connect(t.port), await RawFtp.connect(t.port));
      assert.equal(clients[0].greeting.code, 220);
      const third = await RawFtp.connect(t.port);
      clients.push(third);
      assert.equal(third.greeting.code, 421);
      await third.closed;
      clients[0].close();
      await clients[0].closed;
      for (let i = 0; i < 50 && t.server.connectionCount > 1; i++) await delay(20);
      const again = await RawFtp.connect(t.port);
      clients.push(again);
      assert.equal(again.greeting.code, 220);
    } finally {
      for (const c of clients) c.close();
      await t.close();
    }
  });

  test("maximum connections per client address", async () => {
    const t = await startServer({ maximumConnectionsPerAddress: 1 });
    const clients: RawFtp[] = [];
    try {
      clients.push(await RawFtp.connect(t.port));
      const second = await RawFtp.connect(t.port);
      clients.push(second);
      assert.equal(second.greeting.code, 421);
      const other = await RawFtp.connect(t.port, { localAddress: "127.0.0.2" });
      clients.push(other);
      assert.equal(other.greeting.code, 220);
    } finally {
      for (const c of clients) c.close();
      await t.close();
    }
  });

  test("maximum connections per user", async () => {
    const t = await startServer({
      users: [new User({ login: "u", password: "p", maximumConnections: 1 })],
    });
    const a = await RawFtp.connect(t.port);
    const b = await RawFtp.connect(t.port);
    try {
      assert.equal((await a.login("u", "p")).code, 230);
      assert.equal((await b.login("u", "p")).code, 421);
      await b.closed;
      assert.equal((await a.send("QUIT")).code, 221);
      await a.closed;
      const c = await RawFtp.connect(t.port);
      assert.equal((await c.login("u", "p")).code, 230);
      c.close();
    } finally {
      a.close();
      b.close();
      await t.close();
    }
  });

  test("idle timeout: 421 and close", async () => {
    const t = await startServer({ idleTimeout: 300 });
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      const r = await c.read(5000);
      assert.equal(r.code, 421);
      await c.closed;
    } finally {
      c.close();
      await t.close();
    }
  });

  test("data connection wait timeout: 150 then 425", async () => {
    const t = await startServer({ waitFutureTimeout: 300 });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(t.io, "/f", new Uint8Array(10));
      await c.login("u", "p");
      await c.epsv();
      assert.equal((await c.send("RETR f")).code, 150);
      assert.equal((await c.read(5000)).code, 425);
      assert.equal((await c.send("NOOP")).code, 200);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("failed logins are delayed, then the connection is closed", async () => {
    const t = await startServer({ maxLoginAttempts: 2, failedLoginDelay: 200 });
    const c = await RawFtp.connect(t.port);
    try {
      const start = performance.now();
      assert.equal((await c.login("u", "wrong")).code, 530);
      assert.ok(performance.now() - start >= 190, "the failure reply was not delayed");
      assert.equal((await c.login("nobody", "p")).code, 421);
      await c.closed;
    } finally {
      c.close();
      await t.close();
    }
  });

  test("socket timeout: a client that stops reading a download gets 426", async () => {
    const t = await startServer({ socketTimeout: 500 });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(t.io, "/big", pseudoRandomBytes(48 * 1024 * 1024));
      await c.login("u", "p");
      const port = await c.epsv();
      const data = net.connect({ host: "127.0.0.1", port });
      data.on("error", () => {});
      data.pause(); // never read: the server's writes stall once the socket buffers are full
      assert.equal((await c.send("RETR big")).code, 150);
      assert.equal((await c.read(20_000)).code, 426);
      assert.equal((await c.send("NOOP")).code, 200);
      data.destroy();
    } finally {
      c.close();
      await t.close();
    }
  });

  test("path timeout: a storage call that hangs gets 451", async () => {
    class SlowStat extends MemoryPathIO {
      protected override async doStat(path: string, signal?: AbortSignal): Promise<PathStat> {
        if (path.endsWith("/slow")) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 3000);
            signal?.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        return await super.doStat(path);
      }
    }
    const io = new SlowStat();
    const t = await startServer({ pathIO: io, pathTimeout: 200 });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(io, "/slow", new Uint8Array(1));
      await c.login("u", "p");
      const start = performance.now();
      assert.equal((await c.send("SIZE slow")).code, 451);
      assert.ok(performance.now() - start < 2500);
      assert.equal((await c.send("NOOP")).code, 200);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("a per-user speed limit is shared by the user's sessions", async () => {
    const user = new User({ login: "u", password: "p", writeSpeedLimit: 1024 * 1024 });
    const t = await startServer({ users: [user] });
    const clients = [await RawFtp.connect(t.port), await RawFtp.connect(t.port)];
    try {
      const data = pseudoRandomBytes(384 * 1024);
      await putFile(t.io, "/f", data);
      for (const c of clients) await c.login("u", "p");
      const start = performance.now();
      const results = await Promise.all(clients.map((c) => c.transfer("RETR f")));
      const seconds = (performance.now() - start) / 1000;
      for (const r of results) assert.equal(await sha256(r.data), await sha256(data));
      // 2 × 384 KiB through one 1 MiB/s limit: at least ~0.7 s (a lower bound, not a speed).
      assert.ok(seconds >= 0.6, `took ${seconds} s`);
    } finally {
      for (const c of clients) c.close();
      await t.close();
    }
  });

  test("a long command line gets 500 and the connection is closed", async () => {
    const t = await startServer({ maxLineLength: 512 });
    const c = await RawFtp.connect(t.port);
    try {
      c.write("NOOP " + "A".repeat(100_000));
      assert.equal((await c.read()).code, 500);
      await c.closed;
    } finally {
      c.close();
      await t.close();
    }
  });
});

describe("server commands and rules", () => {
  test("unknown, malformed and out-of-order commands never crash the session", async () => {
    const t = await startServer();
    const c = await RawFtp.connect(t.port);
    try {
      assert.equal((await c.send("LIST")).code, 530);
      assert.equal((await c.send("XYZW")).code, 502);
      assert.equal((await c.send("THIS-IS-NOT-A-COMMAND")).code, 500);
      assert.equal((await c.send("PASS p")).code, 503);
      await c.login("u", "p");
      assert.equal((await c.send("PORT 1,2,3")).code, 501);
      assert.equal((await c.send("EPRT |9|x|1|")).code, 522);
      assert.equal((await c.send("EPRT nonsense")).code, 501);
      assert.equal((await c.send("REST abc")).code, 501);
      assert.equal((await c.send("RNTO x")).code, 503);
      assert.equal((await c.send("TYPE Q")).code, 504);
      assert.equal((await c.send("MODE B")).code, 504);
      assert.equal((await c.send("STRU R")).code, 504);
      assert.equal((await c.send("CWD /nope")).code, 550);
      assert.equal((await c.send("RETR")).code, 501);
      assert.equal((await c.send("RETR nope")).code, 550);
      assert.equal((await c.send("MKD bad\u0001name")).code, 553);
      assert.equal((await c.send("PROT P")).code, 503);
      assert.equal((await c.send("AUTH TLS")).code, 502);
      assert.equal((await c.send("RETR missing")).code, 550);
      assert.equal((await c.send("STOR x")).code, 425);
      assert.equal((await c.send("NOOP")).code, 200);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("paths with spaces, quotes and Unicode; PWD/MKD quoting; REIN; FEAT; HELP; STAT", async () => {
    const t = await startServer();
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      const mkd = await c.send('MKD a "quoted" dir ü');
      assert.equal(mkd.text, '257 "/a ""quoted"" dir ü" created');
      assert.equal((await c.send('CWD a "quoted" dir ü')).code, 250);
      assert.equal(
        (await c.send("PWD")).text,
        '257 "/a ""quoted"" dir ü" is the current directory',
      );
      assert.equal((await c.send("CDUP")).code, 250);
      const feat = await c.send("FEAT");
      assert.match(feat.text, /^211-Features:\n( [^\n]+\n)+211 End$/);
      for (const f of ["EPSV", "EPRT", "MDTM", "SIZE", "UTF8", "REST STREAM", "MLST type*;size*"]) {
        assert.ok(feat.text.includes(` ${f}`), f);
      }
      assert.equal((await c.send("HELP")).code, 214);
      assert.equal((await c.send("STAT")).code, 211);
      const stat = await c.send("STAT /");
      assert.match(stat.text, /^213-.*\n.*a "quoted" dir ü\n213 /);
      assert.equal((await c.send("OPTS UTF8 ON")).code, 200);
      assert.equal((await c.send("OPTS MLST type;size;")).text, "200 MLST OPTS type;size;");
      assert.equal((await c.send("SYST")).text, "215 UNIX Type: L8");
      assert.equal((await c.send("REIN")).code, 220);
      assert.equal((await c.send("PWD")).code, 530);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("latin1 encoding: paths decoded and replies encoded as ISO-8859-1", async () => {
    const t = await startServer({ encoding: "latin1" });
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      assert.equal((await c.send("OPTS UTF8 ON")).code, 504);
      assert.equal((await c.send("OPTS UTF8 OFF")).code, 200);
      assert.ok(!(await c.send("FEAT")).text.includes(" UTF8"));
      c.socket.setEncoding("latin1"); // the raw client decodes what follows as ISO-8859-1
      c.write(new Uint8Array([...new TextEncoder().encode("MKD caf"), 0xe9, 0x0d, 0x0a]));
      const reply = await c.read();
      assert.equal(reply.text, '257 "/café" created');
      assert.ok(await t.io.isDir("/café"));
    } finally {
      c.close();
      await t.close();
    }
  });

  test("permissions: the most specific path wins", async () => {
    const user = new User({
      login: "u",
      password: "p",
      permissions: [
        new Permission("/", { writable: false }),
        new Permission("/drop", { readable: false, writable: true }),
      ],
    });
    const t = await startServer({ users: [user] });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(t.io, "/pub.txt", new TextEncoder().encode("public"));
      await t.io.mkdir("/drop");
      await c.login("u", "p");
      assert.equal((await c.transfer("STOR new.txt", new Uint8Array(3))).final.code, 550);
      assert.equal((await c.send("DELE pub.txt")).code, 550);
      assert.equal((await c.send("MKD x")).code, 550);
      assert.equal((await c.send("RNFR pub.txt")).code, 550);
      assert.equal(new TextDecoder().decode((await c.transfer("RETR pub.txt")).data), "public");
      const up = await c.transfer("STOR drop/in.txt", new TextEncoder().encode("secret"));
      assert.equal(up.final.code, 226);
      assert.equal((await c.transfer("RETR drop/in.txt")).final.code, 550);
      assert.equal((await c.transfer("LIST drop")).final.code, 550);
      assert.equal((await c.send("CWD drop")).code, 550);
      assert.equal((await c.send("MLST pub.txt")).text.includes("perm=r;"), true);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("no FTP bounce: PORT/EPRT only to the client's own address and unprivileged ports", async () => {
    const t = await startServer();
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      assert.equal((await c.send("PORT 127,0,0,2,39,16")).code, 504);
      assert.equal((await c.send("PORT 127,0,0,1,0,21")).code, 504);
      assert.equal((await c.send("EPRT |1|10.0.0.1|5000|")).code, 504);
      assert.equal((await c.send("EPRT |1|127.0.0.1|80|")).code, 504);
      assert.equal((await c.send("EPRT |1|127.0.0.1|5000|")).code, 200);
      assert.equal((await c.send("EPSV ALL")).code, 200);
      assert.equal((await c.send("PASV")).code, 503);
      assert.equal((await c.send("PORT 127,0,0,1,39,16")).code, 503);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("a data connection from a foreign address is refused", async () => {
    const t = await startServer({ waitFutureTimeout: 500 });
    const c = await RawFtp.connect(t.port);
    let foreignClosed = false;
    try {
      await putFile(t.io, "/f.txt", new TextEncoder().encode("data"));
      await c.login("u", "p");
      const port = await c.epsv();
      const foreign = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
      foreign.on("error", () => {});
      const received: Uint8Array[] = [];
      foreign.on("data", (d: Uint8Array) => received.push(d));
      const closed = new Promise<void>((r) => foreign.on("close", () => r()));
      assert.equal((await c.send("RETR f.txt")).code, 150);
      await closed;
      foreignClosed = true;
      assert.equal(received.length, 0);
      assert.equal((await c.read(5000)).code, 425);
      // The same from the right address works.
      assert.equal(new TextDecoder().decode((await c.transfer("RETR f.txt")).data), "data");
    } finally {
      c.close();
      await t.close();
    }
    assert.ok(foreignClosed);
  });

  test("the foreign-address check can be switched off on request", async () => {
    const t = await startServer({ checkDataPeerAddress: false });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(t.io, "/f.txt", new TextEncoder().encode("data"));
      await c.login("u", "p");
      const r = await c.transfer("RETR f.txt", undefined, "127.0.0.2");
      assert.equal(new TextDecoder().decode(r.data), "data");
    } finally {
      c.close();
      await t.close();
    }
  });

  test("STAT and NOOP during a transfer; ABOR gives 426 then 226", async () => {
    const t = await startServer({ writeSpeedLimitPerConnection: 256 * 1024 });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(t.io, "/big", pseudoRandomBytes(4 * 1024 * 1024));
      await c.login("u", "p");
      const port = await c.epsv();
      const data = net.connect({ host: "127.0.0.1", port });
      data.on("error", () => {});
      let got = 0;
      data.on("data", (d: Uint8Array) => got += d.byteLength);
      assert.equal((await c.send("RETR big")).code, 150);
      for (let i = 0; i < 100 && got === 0; i++) await delay(20);
      assert.equal((await c.send("NOOP")).code, 200);
      const stat = await c.send("STAT");
      assert.match(stat.text, /Transfer in progress: RETR \/big/);
      c.write("ABOR\r\n");
      assert.equal((await c.read()).code, 426);
      assert.equal((await c.read()).code, 226);
      assert.ok(got < 4 * 1024 * 1024);
      assert.equal((await c.send("NOOP")).code, 200);
      data.destroy();
    } finally {
      c.close();
      await t.close();
    }
  });

  test("a client that closes the data connection mid-RETR gets 426; the session goes on", async () => {
    const t = await startServer({ writeSpeedLimitPerConnection: 512 * 1024 });
    const c = await RawFtp.connect(t.port);
    try {
      await putFile(t.io, "/big", pseudoRandomBytes(4 * 1024 * 1024));
      await c.login("u", "p");
      const port = await c.epsv();
      const data = net.connect({ host: "127.0.0.1", port });
      data.on("error", () => {});
      let got = 0;
      data.on("data", (d: Uint8Array) => {
        got += d.byteLength;
        if (got > 100_000) data.destroy();
      });
      assert.equal((await c.send("RETR big")).code, 150);
      assert.equal((await c.read(20_000)).code, 426);
      assert.equal((await c.send("NOOP")).code, 200);
      const again = await c.transfer("SIZE big");
      assert.equal(again.final.text, "213 4194304");
    } finally {
      c.close();
      await t.close();
    }
  });

  test("a per-connection speed limit slows a download down", async () => {
    const t = await startServer({ writeSpeedLimitPerConnection: 1024 * 1024 });
    const c = await RawFtp.connect(t.port);
    try {
      const data = pseudoRandomBytes(768 * 1024);
      await putFile(t.io, "/f", data);
      await c.login("u", "p");
      const start = performance.now();
      const r = await c.transfer("RETR f");
      const seconds = (performance.now() - start) / 1000;
      assert.equal(await sha256(r.data), await sha256(data));
      // 768 KiB at 1 MiB/s cannot take less than ~0.7 s (a lower bound, not a speed).
      assert.ok(seconds >= 0.6, `took ${seconds} s`);
    } finally {
      c.close();
      await t.close();
    }
  });

  test("passive port range exhausted: 425", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const busy = (blocker.address() as net.AddressInfo).port;
    const t = await startServer({ dataPorts: [busy] });
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      assert.equal((await c.send("PASV")).code, 425);
      assert.equal((await c.send("EPSV")).code, 425);
      assert.equal((await c.send("NOOP")).code, 200);
    } finally {
      blocker.close();
      c.close();
      await t.close();
    }
  });

  test("PASV announces the forced address and a port of the range", async () => {
    const t = await startServer({
      dataPorts: [40000, 40001, 40002, 40003],
      ipv4PasvForcedResponseAddress: "10.1.2.3",
    });
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      const pasv = await c.send("PASV");
      const m = pasv.text.match(/^227 Entering Passive Mode \(10,1,2,3,(\d+),(\d+)\)$/);
      assert.ok(m, pasv.text);
      assert.ok([40000, 40001, 40002, 40003].includes(Number(m[1]) * 256 + Number(m[2])));
    } finally {
      c.close();
      await t.close();
    }
  });

  test("graceful close lets a running upload finish, then says 421", async () => {
    const t = await startServer({ readSpeedLimitPerConnection: 1024 * 1024 });
    const c = await RawFtp.connect(t.port);
    try {
      await c.login("u", "p");
      const data = pseudoRandomBytes(512 * 1024, 5);
      const port = await c.epsv();
      const sock = net.connect({ host: "127.0.0.1", port });
      sock.on("error", () => {});
      assert.equal((await c.send("STOR up.bin")).code, 150);
      sock.end(data);
      await delay(100);
      const closing = t.server.close();
      assert.equal((await c.read(20_000)).code, 226);
      assert.equal((await c.read(5000)).code, 421);
      await closing;
      assert.equal(await sha256(await getFile(t.io, "/up.bin")), await sha256(data));
    } finally {
      c.close();
      await t.close();
    }
  });

  test("custom and overridden commands; events", async () => {
    const t = await startServer({
      commands: {
        SITE: { run: (session, arg) => session.reply(200, `site ${arg}`) },
        SYST: { requiresLogin: false, run: (session) => session.reply(215, "Custom") },
      },
    });
    const seen: string[] = [];
    t.server.on("login", (e) => seen.push(`login ${e.login}`));
    t.server.on("upload", (e) => seen.push(`upload ${e.path} ${e.size}`));
    t.server.on("download", (e) => seen.push(`download ${e.path} ${e.size}`));
    t.server.on("logout", () => seen.push("logout"));
    const c = await RawFtp.connect(t.port);
    try {
      assert.equal((await c.send("SYST")).text, "215 Custom");
      assert.equal((await c.send("SITE x")).code, 530);
      await c.login("u", "p");
      assert.equal((await c.send("SITE hello")).text, "200 site hello");
      await c.transfer("STOR e.bin", new Uint8Array(1000));
      await c.transfer("RETR e.bin");
      await c.send("QUIT");
      await c.closed;
      for (let i = 0; i < 50 && !seen.includes("logout"); i++) await delay(10);
      assert.deepEqual(seen, ["login u", "upload /e.bin 1000", "download /e.bin 1000", "logout"]);
    } finally {
      c.close();
      await t.close();
    }
  });
});

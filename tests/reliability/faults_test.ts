import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FsPathIO } from "../../pathio/fs_path_io.ts";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import type { PathIO } from "../../pathio/path_io.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { CA_PEM, delay, pseudoRandomBytes, SERVER_TLS, sha256, tempDir } from "../_helpers.ts";
import { FtpError } from "../../streams/errors.ts";
import { FaultyPathIO } from "./_faulty_path_io.ts";
import { pasvPort, type RawReply, RawSession } from "./_raw_session.ts";
import { canBind, eventually } from "./_resources.ts";
import { Rng } from "./_rng.ts";
import { printRows } from "./_summary.ts";

const KEEP = pseudoRandomBytes(256 * 1024, 11);
const BIG = pseudoRandomBytes(4 * 1024 * 1024, 12);
const counts = {
  vanished: 0,
  aborts: 0,
  faults: 0,
  leakedHandles: 0,
  damagedFiles: 0,
  portsChecked: 0,
  portsHeld: 0,
};

async function put(io: PathIO, path: string, data: Uint8Array): Promise<void> {
  const h = await io.open(path, "write");
  await h.write(data);
  await h.close();
}

async function get(io: PathIO, path: string): Promise<Uint8Array> {
  const h = await io.open(path, "read");
  const parts: Uint8Array[] = [];
  while (true) {
    const buffer = new Uint8Array(64 * 1024);
    const n = await h.read(buffer);
    if (n === null) break;
    parts.push(buffer.slice(0, n));
  }
  await h.close();
  return new Uint8Array(Buffer.concat(parts));
}

/** Free loopback ports, found by binding port 0. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise<net.Server>((resolve) => {
        const s = net.createServer();
        s.listen(0, "127.0.0.1", () => resolve(s));
      })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** A data connection that records what it receives. */
function dataSocket(
  port: number,
): { socket: net.Socket; received: () => number; connected: Promise<void> } {
  const socket = net.connect({ host: "127.0.0.1", port });
  let received = 0;
  socket.on("data", (c: Buffer) => received += c.length);
  socket.on("error", () => {});
  const connected = new Promise<void>((r) => {
    socket.once("connect", () => r());
    socket.once("error", () => r());
  });
  return { socket, received: () => received, connected };
}

describe("faults: vanishing clients, ABOR, backend errors", () => {
  let io: FaultyPathIO;
  let server: Server;
  let port: number;
  let dataPorts: number[];
  let keepHash: string;
  const unexpected: unknown[] = [];

  before(async () => {
    const memory = new MemoryPathIO();
    io = new FaultyPathIO(memory);
    await put(memory, "/keep.bin", KEEP);
    await put(memory, "/big.bin", BIG);
    await memory.mkdir("/many");
    for (let i = 0; i < 2000; i++) await put(memory, `/many/file-${i}.txt`, new Uint8Array(1));
    keepHash = await sha256(KEEP);
    // The control listener gets a ninth port of its own: started on port 0, the
    // kernel could hand it one of the data ports just released, and the check at
    // the end would find that port held.
    const ports = await freePorts(9);
    dataPorts = ports.slice(0, 8);
    server = new Server({
      pathIO: io,
      users: [new User({ login: "u", password: "p" })],
      tls: SERVER_TLS,
      dataPorts,
      socketTimeout: 1500,
      waitFutureTimeout: 1500,
      idleTimeout: 10_000,
      failedLoginDelay: 10,
    });
    server.on("error", ({ error }) => {
      if (!(error instanceof FtpError)) unexpected.push(error);
    });
    port = (await server.start("127.0.0.1", ports[8])).port;
  });

  after(async () => {
    await server?.close();
    printRows("faults", [
      ["clients vanished mid-transfer or mid-handshake", counts.vanished],
      ["ABOR at random points", counts.aborts],
      ["backend faults injected", counts.faults],
      ["handles leaked", counts.leakedHandles],
      ["existing files damaged", counts.damagedFiles],
      ["data ports checked (still held)", `${counts.portsChecked} (${counts.portsHeld})`],
    ]);
  });

  async function settled(): Promise<void> {
    const quiet = await eventually(
      () => server.connectionCount === 0 && io.openHandles === 0,
      8000,
    );
    counts.leakedHandles += io.openHandles;
    assert.ok(quiet, `sessions ${server.connectionCount}, open handles ${io.openHandles}`);
  }

  async function keepIntact(): Promise<void> {
    const hash = await sha256(await get(io.inner, "/keep.bin"));
    if (hash !== keepHash) counts.damagedFiles++;
    assert.equal(hash, keepHash, "keep.bin was damaged");
  }

  async function login(): Promise<RawSession> {
    const s = await RawSession.open(port);
    await s.login("u", "p");
    assert.equal((await s.command("TYPE I")).code, 200);
    return s;
  }

  for (const command of ["STOR", "APPE"]) {
    for (const order of ["control first", "data reset first"]) {
      test(`a client vanishing mid-${command} (${order}) leaves the existing file intact`, async () => {
        const s = await login();
        const data = dataSocket(pasvPort(await s.command("PASV")));
        await data.connected;
        assert.equal((await s.command(`${command} keep.bin`)).code, 150);
        data.socket.write(new Uint8Array(100 * 1024).fill(0x58));
        await delay(50);
        counts.vanished++;
        if (order === "control first") {
          s.close();
          await delay(100);
          data.socket.destroy();
        } else {
          data.socket.resetAndDestroy();
          await delay(100);
          s.close();
        }
        await settled();
        if (command === "STOR") {
          await keepIntact();
        } else {
          // APPE keeps what arrived (that is how resuming works); the old bytes stay as they were.
          const now = await get(io.inner, "/keep.bin");
          const prefix = await sha256(now.subarray(0, KEEP.byteLength));
          if (prefix !== keepHash) counts.damagedFiles++;
          assert.equal(prefix, keepHash, "APPE changed bytes that were there before");
          await put(io.inner, "/keep.bin", KEEP);
        }
      });
    }
  }

  for (const what of ["RETR big.bin", "LIST many", "MLSD many", "NLST many"]) {
    test(`a client vanishing mid-${what.split(" ")[0]} releases everything`, async () => {
      const s = await login();
      const data = dataSocket(pasvPort(await s.command("PASV")));
      await data.connected;
      data.socket.pause();
      assert.equal((await s.command(what)).code, 150);
      data.socket.resume();
      await eventually(() => data.received() > 0, 3000);
      data.socket.pause();
      counts.vanished++;
      s.close();
      data.socket.destroy();
      await settled();
    });
  }

  test("clients vanishing or stalling mid-TLS-handshake are dropped within the socket timeout", async () => {
    const variants = ["silent", "half hello", "tls then vanish", "garbage"];
    for (const variant of variants) {
      const s = await RawSession.open(port);
      assert.equal((await s.command("AUTH TLS")).code, 234);
      counts.vanished++;
      if (variant === "half hello") s.write(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
      if (variant === "garbage") s.write("NOOP\r\n".repeat(50));
      if (variant === "tls then vanish") {
        const secure = tls.connect({ socket: s.socket, ca: [CA_PEM], servername: "localhost" });
        secure.on("error", () => {});
        secure.once("data", () => {});
        await delay(5);
        secure.destroy();
      }
      if (variant !== "tls then vanish") {
        // The server gives up by itself: the handshake is bounded by socketTimeout (1.5 s).
        assert.ok(await eventually(() => s.closed, 5000), `${variant}: still connected`);
      }
      s.close();
    }
    await settled();
    // TLS still works for a well-behaved client afterwards.
    const s = await RawSession.open(port);
    assert.equal((await s.command("AUTH TLS")).code, 234);
    const secure = tls.connect({ socket: s.socket, ca: [CA_PEM], servername: "localhost" });
    await new Promise<void>((resolve, reject) => {
      secure.once("secureConnect", resolve);
      secure.once("error", reject);
    });
    secure.write("NOOP\r\n");
    const line = await new Promise<string>((r) =>
      secure.once("data", (c: Buffer) => r(c.toString()))
    );
    assert.match(line, /^200 /);
    secure.destroy();
    await settled();
  });

  test("ABOR at random points: every reply valid, the session goes on", async () => {
    const rng = new Rng(99);
    const s = await login();
    const allowed = new Set([150, 225, 226, 425, 426, 451]);
    for (let i = 0; i < 30; i++) {
      counts.aborts++;
      const data = dataSocket(pasvPort(await s.command("PASV")));
      await data.connected;
      if (rng.int(2) === 0) data.socket.pause();
      const command = rng.pick(["RETR big.bin", "LIST many", "STOR scratch.bin"]);
      s.send(command);
      if (command.startsWith("STOR")) data.socket.write(new Uint8Array(rng.int(200_000)));
      await delay(rng.int(30));
      s.send("ABOR");
      s.send(`ZMARK${i}`);
      const replies: RawReply[] = await s.readUntil(`ZMARK${i}`, 10_000);
      for (const r of replies) assert.ok(allowed.has(r.code), `${command}: ${r.lines[0]}`);
      assert.ok(
        replies.some((r) => r.code === 225 || r.code === 226),
        replies.map((r) => r.code).join(),
      );
      data.socket.destroy();
      assert.equal((await s.command("NOOP")).code, 200);
    }
    s.close();
    await settled();
  });

  test("disk full and permission errors from the backend: 452/550, file intact, handle aborted", async () => {
    const s = await login();
    try {
      for (const afterBytes of [0, 200_000, 700_000]) {
        counts.faults++;
        io.setFault({ afterBytes, kind: "no-space" });
        const abortedBefore = io.aborted;
        const data = dataSocket(pasvPort(await s.command("PASV")));
        await data.connected;
        assert.equal((await s.command("STOR keep.bin")).code, 150);
        data.socket.end(new Uint8Array(1024 * 1024).fill(0x41));
        const final = await s.read(5000);
        assert.equal(final.code, 452, final.lines[0]);
        data.socket.destroy();
        assert.ok(await eventually(() => io.openHandles === 0, 3000), `handles ${io.openHandles}`);
        assert.equal(io.aborted, abortedBefore + 1, "the failed upload was aborted, not committed");
        await keepIntact();
      }
      counts.faults++;
      io.setFault({ onOpenForWrite: true, kind: "permission" });
      for (const line of ["STOR keep.bin", "APPE keep.bin", "STOR new.bin"]) {
        await s.command("PASV");
        const reply = await s.command(line);
        assert.equal(reply.code, 550, `${line}: ${reply.lines[0]}`);
      }
      io.setFault(null);
      await keepIntact();
      // Without faults the same upload goes through.
      const data = dataSocket(pasvPort(await s.command("PASV")));
      await data.connected;
      assert.equal((await s.command("STOR fresh.bin")).code, 150);
      data.socket.end(KEEP);
      assert.equal((await s.read(5000)).code, 226);
      assert.equal(await sha256(await get(io.inner, "/fresh.bin")), keepHash);
    } finally {
      io.setFault(null);
      s.close();
    }
    await settled();
  });

  test("afterwards: every data port can be bound again, no session or handle left", async () => {
    await settled();
    assert.deepEqual(unexpected, [], "the server hit errors that are not ftpkit errors");
    for (const p of dataPorts) {
      counts.portsChecked++;
      // Runtimes close listening sockets asynchronously: allow a moment, not a leak.
      let free = await canBind(p);
      for (let i = 0; i < 30 && !free; i++) {
        await delay(100);
        free = await canBind(p);
      }
      if (!free) counts.portsHeld++;
      assert.ok(free, `data port ${p} is still held`);
    }
  });
});

describe("faults on the local disk: uploads are atomic through the server", () => {
  test("an aborted or failed STOR never damages an existing file, and leaves no temporary file", async () => {
    const tmp = await tempDir("ftpkit-atomic-");
    const io = new FaultyPathIO(new FsPathIO({ root: tmp.path }));
    await writeFile(join(tmp.path, "keep.bin"), KEEP);
    const server = new Server({
      pathIO: io,
      users: [new User({ login: "u", password: "p" })],
      socketTimeout: 1500,
      waitFutureTimeout: 1500,
    });
    const { port } = await server.start("127.0.0.1", 0);
    try {
      const intact = async () => {
        const same =
          (await sha256(await readFile(join(tmp.path, "keep.bin")))) === (await sha256(KEEP));
        if (!same) counts.damagedFiles++;
        assert.ok(same, "keep.bin was damaged");
        assert.deepEqual(await readdir(tmp.path), ["keep.bin"]);
      };
      // 1: the client vanishes mid-upload.
      {
        const s = await RawSession.open(port);
        await s.login("u", "p");
        const data = dataSocket(pasvPort(await s.command("PASV")));
        await data.connected;
        assert.equal((await s.command("STOR keep.bin")).code, 150);
        data.socket.write(new Uint8Array(64 * 1024).fill(0x58));
        await delay(50);
        counts.vanished++;
        s.close();
        await delay(100);
        data.socket.destroy();
        assert.ok(
          await eventually(() => server.connectionCount === 0 && io.openHandles === 0, 5000),
        );
        await intact();
      }
      // 2: the disk fills up mid-upload.
      {
        counts.faults++;
        io.setFault({ afterBytes: 100_000, kind: "no-space" });
        const s = await RawSession.open(port);
        await s.login("u", "p");
        const data = dataSocket(pasvPort(await s.command("PASV")));
        await data.connected;
        assert.equal((await s.command("STOR keep.bin")).code, 150);
        data.socket.end(new Uint8Array(512 * 1024).fill(0x59));
        assert.equal((await s.read(5000)).code, 452);
        data.socket.destroy();
        s.close();
        io.setFault(null);
        assert.ok(
          await eventually(() => server.connectionCount === 0 && io.openHandles === 0, 5000),
        );
        await intact();
      }
    } finally {
      await server.close();
      await tmp.remove();
    }
  });
});

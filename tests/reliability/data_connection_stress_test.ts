import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import type { Connection, Listener, SocketAdapter } from "../../streams/connection.ts";
import { getSocketAdapter } from "../../streams/socket_adapter.ts";
import { DenoListener } from "../../streams/adapters/deno/deno_listener.ts";
import { pseudoRandomBytes } from "../_helpers.ts";
import { RawSession } from "./_raw_session.ts";

// Issues 4 and 7 of the reliability suite: under load a PASV data connection
// was closed by the server before the transfer started, and a STOR then
// committed 0 bytes with 226. Many sessions run PASV + STOR + RETR cycles
// side by side with content unique to each transfer; every byte is checked,
// and a 226 needs the very socket the client opened for that transfer among the
// connections the server's listener handed out (logged on both sides). The cause
// was a stranger (another process on the machine) connecting to the port first;
// a 425 is right then, and is counted, since other tests share this loopback.

const SESSIONS = Number(process.env.FTPKIT_STRESS_SESSIONS ?? 60);
const SECONDS = Number(process.env.FTPKIT_STRESS_SECONDS ?? 8);
/** Hard stop for the whole test, whatever happens. */
const DEADLINE_MS = (SECONDS + 20) * 1000;
const REPLY_TIMEOUT_MS = 15_000;
/**
 * The clients' own loopback address: other processes on the machine connect from
 * 127.0.0.1, so the server's peer check refuses their connections to these sessions'
 * data ports, and a stranger from this address would be this process's own.
 */
const CLIENT_HOST = "127.0.0.3";

/** One data connection as the server's listener handed it out. */
interface Accepted {
  listenerPort: number;
  remotePort: number;
}

/** The runtime's adapter, recording every data connection its listeners hand out. */
function recordingAdapter(log: Map<number, Accepted[]>): SocketAdapter {
  const inner = getSocketAdapter();
  return {
    name: `${inner.name}+log`,
    connect: (options) => inner.connect(options),
    async listen(options): Promise<Listener> {
      const listener = await inner.listen(options);
      const record = (conn: Connection) => {
        const entry = { listenerPort: listener.address.port, remotePort: conn.remoteAddress.port };
        const list = log.get(entry.listenerPort) ?? [];
        list.push(entry);
        log.set(entry.listenerPort, list);
        return conn;
      };
      return {
        address: listener.address,
        accept: () => listener.accept().then(record),
        close: () => listener.close(),
        async *[Symbol.asyncIterator]() {
          for await (const conn of listener) yield record(conn);
        },
      };
    },
  };
}

function transferContent(session: number, seq: number): Uint8Array {
  const head = new TextEncoder().encode(`session ${session} transfer ${seq}\n`);
  const body = pseudoRandomBytes(
    1024 + ((session * 7919 + seq * 104729) % 60_000),
    session * 1000 + seq,
  );
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** Connect to a PASV port; resolves with the socket and its local port once connected. */
function connectData(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress: CLIENT_HOST });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

function pasvPort(reply: { code: number; lines: string[] }): number {
  const m = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(reply.lines[0]);
  if (reply.code !== 227 || !m) throw new Error(`PASV refused: ${reply.lines.join(" | ")}`);
  return Number(m[5]) * 256 + Number(m[6]);
}

/** Everything the socket receives until the peer's FIN (or an error). */
function receiveAll(socket: net.Socket): Promise<{ bytes: Uint8Array; error: string | null }> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let error: string | null = null;
    socket.on("data", (c: Uint8Array) => chunks.push(c));
    socket.on("error", (e: Error) => error = e.message);
    socket.on("close", () => resolve({ bytes: new Uint8Array(Buffer.concat(chunks)), error }));
  });
}

interface Failure {
  session: number;
  seq: number;
  what: string;
}

async function runSession(
  port: number,
  session: number,
  until: number,
  accepted: Map<number, Accepted[]>,
  failures: Failure[],
  strangers: { count: number },
): Promise<number> {
  const control = await RawSession.open(port, {
    timeoutMs: REPLY_TIMEOUT_MS,
    localAddress: CLIENT_HOST,
  });
  let seq = 0;
  try {
    await control.login("u", "p", REPLY_TIMEOUT_MS);
    while (Date.now() < until && failures.length < 20) {
      seq++;
      const content = transferContent(session, seq);
      const path = `/s${session}_${seq}.bin`;
      const fail = (what: string) => failures.push({ session, seq, what });

      // Upload.
      let dataPort = pasvPort(await control.command("PASV", REPLY_TIMEOUT_MS));
      let socket = await connectData(dataPort);
      let localPort = socket.localPort!;
      let received = receiveAll(socket);
      let first = await control.command(`STOR ${path}`, REPLY_TIMEOUT_MS);
      if (first.code !== 150) {
        socket.destroy();
        fail(`STOR: ${first.lines[0]}`);
        break;
      }
      await new Promise<void>((resolve) => socket.end(content, () => resolve()));
      let final = await control.read(REPLY_TIMEOUT_MS);
      await received;
      if (!judge(accepted, dataPort, localPort, final, `STOR`, fail, strangers)) continue;

      // Download what was stored.
      dataPort = pasvPort(await control.command("PASV", REPLY_TIMEOUT_MS));
      socket = await connectData(dataPort);
      localPort = socket.localPort!;
      received = receiveAll(socket);
      first = await control.command(`RETR ${path}`, REPLY_TIMEOUT_MS);
      if (first.code !== 150) {
        socket.destroy();
        fail(`RETR: ${first.lines[0]}`);
        break;
      }
      final = await control.read(REPLY_TIMEOUT_MS);
      const { bytes, error } = await received;
      if (!judge(accepted, dataPort, localPort, final, "RETR", fail, strangers)) continue;
      if (Buffer.compare(Buffer.from(bytes), Buffer.from(content)) !== 0) {
        fail(
          `RETR 226 with ${bytes.length} of ${content.length} bytes (stored: ${
            new TextDecoder().decode(bytes.subarray(0, 40)).split("\n")[0]
          })${error ? `, ${error}` : ""}`,
        );
      }
    }
    await control.command("QUIT", REPLY_TIMEOUT_MS).catch(() => {});
  } finally {
    control.close();
  }
  return seq;
}

/**
 * Check one transfer against what the server's listener on `dataPort` handed out.
 * `226` needs the client's own connection among them (its bytes are checked by the
 * caller); `425` is right only when a stranger connected too (another process on this
 * machine: loopback clients cannot be told apart), and is counted. Returns whether the
 * transfer succeeded.
 */
function judge(
  accepted: Map<number, Accepted[]>,
  dataPort: number,
  localPort: number,
  final: { code: number; lines: string[] },
  what: string,
  fail: (what: string) => void,
  strangers: { count: number },
): boolean {
  const ports = (accepted.get(dataPort) ?? []).map((a) => a.remotePort);
  accepted.delete(dataPort);
  const stranger = ports.some((p) => p !== localPort);
  if (final.code === 226 && ports.includes(localPort)) return true;
  if (final.code === 425 && stranger) {
    strangers.count++;
    return false;
  }
  fail(
    `${what} answered ${
      final.lines[0]
    }; data port ${dataPort}: client connected from ${localPort}, server took [${
      ports.join(", ")
    }]`,
  );
  return false;
}

test(`data connections: ${SESSIONS} sessions × ${SECONDS} s of PASV+STOR+RETR, every byte and every data peer checked`, async () => {
  const accepted = new Map<number, Accepted[]>();
  const server = new Server({
    pathIO: new MemoryPathIO(),
    users: [new User({ login: "u", password: "p" })],
    socketAdapter: recordingAdapter(accepted),
    waitFutureTimeout: REPLY_TIMEOUT_MS,
    socketTimeout: REPLY_TIMEOUT_MS,
    maximumConnections: SESSIONS + 10,
    maximumConnectionsPerAddress: SESSIONS + 10,
  });
  const serverErrors: unknown[] = [];
  let foreign = 0;
  server.on("error", ({ error }) => {
    if (String(error).includes("Refused data connection from")) foreign++;
    else serverErrors.push(error);
  });
  const { port } = await server.start("127.0.0.1", 0);
  const failures: Failure[] = [];
  const strangers = { count: 0 };
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  try {
    const until = Date.now() + SECONDS * 1000;
    const runs = Promise.all(
      Array.from(
        { length: SESSIONS },
        (_, i) =>
          runSession(port, i, until, accepted, failures, strangers).catch((err) => {
            failures.push({ session: i, seq: -1, what: String(err) });
            return 0;
          }),
      ),
    );
    const timedOut = new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => reject(new Error("stress test overran")), DEADLINE_MS);
    });
    const transfers = (await Promise.race([runs, timedOut])).reduce((a, b) => a + b, 0);
    console.log(
      `data connection stress: ${SESSIONS} sessions, ${transfers} STOR+RETR cycles, ${strangers.count} refused for a stranger's connection, ${foreign} connections from other hosts refused`,
    );
    assert.deepEqual(failures, []);
    assert.ok(transfers >= SESSIONS, `only ${transfers} cycles`);
    assert.deepEqual(serverErrors.map(String), []);
  } finally {
    clearTimeout(watchdog);
    await server.close();
  }
});

test("a Deno listener goes on accepting after an accept error other than its own close", async () => {
  const address = { transport: "tcp" as const, hostname: "127.0.0.1", port: 2121 };
  const peer = { transport: "tcp" as const, hostname: "127.0.0.1", port: 40000 };
  let calls = 0;
  let closed = false;
  const fakeConn = {
    localAddr: address,
    remoteAddr: peer,
    read: () => Promise.resolve(null),
    write: (p: Uint8Array) => Promise.resolve(p.byteLength),
    closeWrite: () => Promise.resolve(),
    close: () => {},
  };
  const native = {
    addr: address,
    accept() {
      calls++;
      if (closed) {
        return Promise.reject(Object.assign(new Error("closed"), { name: "BadResource" }));
      }
      // The first accept fails as under load (EMFILE); the next one has the waiting client.
      if (calls === 1) {
        return Promise.reject(Object.assign(new Error("Too many open files"), { name: "Error" }));
      }
      if (calls === 2) return Promise.resolve(fakeConn);
      return new Promise<never>(() => {});
    },
    close: () => closed = true,
  };
  const listener = new DenoListener(native);
  try {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const conn = await Promise.race([
      listener.accept(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("no connection after the accept error")), 5000);
      }),
    ]).finally(() => clearTimeout(timer));
    assert.equal(conn.remoteAddress.port, 40000);
    assert.equal(closed, false);
    conn.close();
  } finally {
    listener.close();
  }
  assert.equal(closed, true);
});

// What the trace of a failing soak showed: the server's listener took a connection from
// another local process (a late connect to a port that had just been someone else's data
// port) before the client's own, sent the file into it and answered 226.
test("a second connection to a passive port before the transfer makes it fail with 425, the stranger gets nothing", async () => {
  const io = new MemoryPathIO();
  const file = await io.open("/secret.bin", "write");
  await file.write(pseudoRandomBytes(64 * 1024, 7));
  await file.close();
  const server = new Server({
    pathIO: io,
    users: [new User({ login: "u", password: "p" })],
    waitFutureTimeout: 5000,
  });
  const { port } = await server.start("127.0.0.1", 0);
  const sockets: net.Socket[] = [];
  let control: RawSession | null = null;
  try {
    const session = await RawSession.open(port, { localAddress: CLIENT_HOST });
    control = session;
    await session.login("u", "p");
    for (const command of ["RETR /secret.bin", "STOR /upload.bin"]) {
      const dataPort = pasvPort(await session.command("PASV"));
      const stranger = await connectData(dataPort);
      const client = await connectData(dataPort);
      sockets.push(stranger, client);
      const strangerGot = receiveAll(stranger);
      const clientGot = receiveAll(client);
      // Both are established in the kernel before the command, as with a real client.
      await new Promise((r) => setTimeout(r, 100));
      const first = await session.command(command);
      const final = first.code === 150 ? await session.read() : first;
      assert.equal(final.code, 425, `${command}: ${first.lines[0]} / ${final.lines[0]}`);
      assert.equal((await strangerGot).bytes.length, 0);
      assert.equal((await clientGot).bytes.length, 0);
    }
    assert.equal(await io.exists("/upload.bin"), false);
    // The session goes on: a clean transfer after the refused ones.
    const dataPort = pasvPort(await session.command("PASV"));
    const client = await connectData(dataPort);
    sockets.push(client);
    const got = receiveAll(client);
    assert.equal((await session.command("RETR /secret.bin")).code, 150);
    assert.equal((await session.read()).code, 226);
    assert.equal((await got).bytes.length, 64 * 1024);
  } finally {
    for (const s of sockets) s.destroy();
    control?.close();
    await server.close();
  }
});

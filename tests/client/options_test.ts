/**
 * Client options and session details: ACCT, encodings, LF in paths, custom
 * LIST parsers, active port ranges, IPv6 (EPSV/EPRT), a custom local PathIO,
 * `abort()` during a transfer, URLs with a path, raw commands.
 */

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, type RemoteFileInfo } from "../../client/mod.ts";
import { MemoryPathIO } from "../../pathio/memory_path_io.ts";
import { Permission } from "../../server/permission.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { readAll } from "../_helpers.ts";
import { ConnectionClosedError } from "../../streams/errors.ts";
import { startFakeServer } from "./_fake_server.ts";
import { freePort } from "./_peers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function newServer(): Server {
  return new Server({
    pathIO: new MemoryPathIO(),
    users: [new User({ login: "user", password: "pw", permissions: [new Permission("/")] })],
  });
}

async function put(client: Client, path: string, text: string): Promise<void> {
  const up = await client.uploadStream(path);
  await new Blob([text]).stream().pipeTo(up.writable);
  await up.finish();
}

async function get(client: Client, path: string): Promise<string> {
  const down = await client.downloadStream(path);
  const bytes = await readAll(down.readable);
  await down.finish();
  return dec.decode(bytes);
}

describe("client session details (fake server)", () => {
  test("connect returns the greeting; USER/PASS/ACCT follow 3xx replies", async () => {
    const fake = await startFakeServer((command, session) => {
      if (command === "PASS pw") {
        session.send("332 account please\r\n");
        return true;
      }
      if (command === "ACCT acme") {
        session.send("230 welcome\r\n");
        return true;
      }
      return false;
    }, { greeting: "220-first\r\n220 second\r\n" });
    try {
      const client = new Client({ socketTimeout: 2000 });
      const greeting = await client.connect("127.0.0.1", fake.port);
      assert.deepEqual(greeting, ["220-first", "220 second"]);
      await client.login({ user: "bob", password: "pw", account: "acme" });
      await client.quit();
      assert.deepEqual(fake.commands.slice(0, 3), ["USER bob", "PASS pw", "ACCT acme"]);
      assert.ok(fake.commands.includes("QUIT"));
      assert.equal(client.connected, false);
    } finally {
      await fake.close();
    }
  });

  test("LF in a path goes out as NUL; latin1 encoding; raw commands with wait codes", async () => {
    const fake = await startFakeServer((command, session) => {
      if (command.startsWith("MKD")) {
        session.send(`257 "${command.slice(4)}" created\r\n`);
        return true;
      }
      if (command === "SITE SLOW") {
        session.send("150 working\r\n200 done\r\n");
        return true;
      }
      if (command.startsWith("CWD")) {
        session.send("250 ok\r\n");
        return true;
      }
      return false;
    });
    try {
      await using client = await Client.context(`ftp://u:p@127.0.0.1:${fake.port}/start%20dir`, {
        encoding: "latin1",
        socketTimeout: 2000,
      });
      await client.makeDirectory("/odd\nname");
      await client.makeDirectory("/caf\u00e9");
      const reply = await client.command("SITE SLOW", ["200"], ["1xx"]);
      assert.equal(reply.code.value, "200");
      assert.ok(fake.commands.includes("CWD /start dir"), fake.commands.join(","));
      assert.ok(fake.commands.includes("MKD /odd\0name"));
      // The fake server decodes as latin1, so é arrived as one byte.
      assert.ok(fake.commands.includes("MKD /caf\u00e9"));
    } finally {
      await fake.close();
    }
  });
});

describe("client options against ftpkit's server", () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = newServer();
    port = (await server.start("127.0.0.1", 0)).port;
  });
  after(() => server.close());

  test("custom LIST parser, first or as fallback", async () => {
    const seen: string[] = [];
    const custom = (line: string): RemoteFileInfo | null => {
      seen.push(line);
      return line.includes("custom.txt")
        ? { name: "custom.txt", type: "file", size: 4242, facts: { parser: "custom" } }
        : null;
    };
    for (const order of ["first", "fallback"] as const) {
      await using client = await Client.context("127.0.0.1", {
        port,
        user: "user",
        password: "pw",
        listLineParser: custom,
        listLineParserOrder: order,
      });
      await put(client, "/custom.txt", "x");
      const [[, info]] = await client.list("/", { rawCommand: "LIST" }).toArray();
      if (order === "first") assert.equal(info.size, 4242);
      else assert.equal(info.size, 1); // the built-in Unix parser understood it
      await client.removeFile("/custom.txt");
    }
    assert.ok(seen.length >= 1);
  });

  test("active mode inside a local port range", async () => {
    const first = await freePort();
    const range: [number, number] = [first, first + 5];
    const ports: number[] = [];
    await using client = await Client.context("127.0.0.1", {
      port,
      user: "user",
      password: "pw",
      passive: false,
      activePortRange: range,
      log: (direction, line) => {
        const m = /^PORT (?:\d+,){4}(\d+),(\d+)$/.exec(line);
        if (direction === ">" && m) ports.push(Number(m[1]) * 256 + Number(m[2]));
      },
    });
    await put(client, "/ranged.txt", "active");
    assert.equal(await get(client, "/ranged.txt"), "active");
    assert.equal(ports.length, 2);
    assert.ok(ports.every((p) => p >= range[0] && p <= range[1]), ports.join(","));
    await client.removeFile("/ranged.txt");
  });

  test("a custom local PathIO (memory) for tree upload and download", async () => {
    const local = new MemoryPathIO();
    await local.mkdir("/src/deep", { parents: true });
    const handle = await local.open("/src/deep/a.txt", "write");
    await handle.write(enc.encode("from memory"));
    await handle.close();
    await using client = await Client.context("127.0.0.1", {
      port,
      user: "user",
      password: "pw",
      pathIO: () => local,
    });
    await client.upload("/src", "/");
    assert.equal(await get(client, "/src/deep/a.txt"), "from memory");
    await client.download("/src", "/copy", { verify: true });
    const back = await local.open("/copy/src/deep/a.txt", "read");
    const buffer = new Uint8Array(64);
    const n = await back.read(buffer);
    await back.close();
    assert.equal(dec.decode(buffer.subarray(0, n ?? 0)), "from memory");
    await client.remove("/src");
  });

  test("abort() stops the running transfer and the session goes on", async () => {
    await using client = await Client.context("127.0.0.1", { port, user: "user", password: "pw" });
    const up = await client.uploadStream("/big.bin");
    const writer = up.writable.getWriter();
    for (let i = 0; i < 64; i++) await writer.write(new Uint8Array(64 * 1024));
    await writer.close();
    await up.finish();
    const down = await client.downloadStream("/big.bin");
    const reader = down.readable.getReader();
    await reader.read();
    reader.releaseLock();
    await client.abort();
    assert.equal(await client.size("/big.bin"), 64 * 64 * 1024);
    await client.removeFile("/big.bin");
  });

  test("close() during a transfer ends it and fails queued calls", async () => {
    const client = await Client.context("127.0.0.1", { port, user: "user", password: "pw" });
    await put(client, "/closing.txt", "y".repeat(300_000));
    const down = await client.downloadStream("/closing.txt");
    const reader = down.readable.getReader();
    await reader.read();
    const queued = client.size("/closing.txt");
    client.close();
    await assert.rejects(queued, ConnectionClosedError);
    await assert.rejects(async () => {
      while (!(await reader.read()).done);
    });
    assert.equal(client.connected, false);
  });

  test("an AbortSignal on a download stops it with ABOR", async () => {
    await using client = await Client.context("127.0.0.1", { port, user: "user", password: "pw" });
    await put(client, "/sig.txt", "x".repeat(200_000));
    const controller = new AbortController();
    const down = await client.downloadStream("/sig.txt", { signal: controller.signal });
    controller.abort();
    await assert.rejects(readAll(down.readable));
    assert.equal(await client.size("/sig.txt"), 200_000);
  });
});

describe("client over IPv6 loopback (EPSV and EPRT)", () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = newServer();
    port = (await server.start("::1", 0)).port;
  });
  after(() => server.close());

  for (const passive of [true, false]) {
    test(passive ? "passive (EPSV)" : "active (EPRT)", async () => {
      const log: string[] = [];
      await using client = await Client.context(`ftp://user:pw@[::1]:${port}/`, {
        passive,
        log: (direction, line) => log.push(`${direction} ${line}`),
      });
      await put(client, "/v6.txt", "six");
      assert.equal(await get(client, "/v6.txt"), "six");
      assert.ok(
        log.some((l) => l.startsWith(passive ? "> EPSV" : "> EPRT |2|::1|")),
        log.join("\n"),
      );
      assert.ok(!log.some((l) => l === "> PASS pw"), "password masked in the log");
    });
  }
});

/**
 * Servers that misbehave: garbage, truncated multi-line replies, a 1 MiB
 * reply line, a PASV address pointing elsewhere, hangs, dropped connections.
 * The client must fail each with a typed error within its timeout.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ChecksumMismatchError, Client, type ClientOptions } from "../../client/mod.ts";
import {
  AbortedError,
  ConnectionClosedError,
  FtpTimeoutError,
  LineTooLongError,
  ProtocolError,
  StatusCodeError,
} from "../../streams/errors.ts";
import { readAll, tempDir } from "../_helpers.ts";
import { type FakeHandler, type FakeServerOptions, startFakeServer } from "./_fake_server.ts";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const enc = new TextEncoder();

async function withFake(
  handler: FakeHandler,
  run: (port: number, commands: string[]) => Promise<void>,
  options: FakeServerOptions = {},
): Promise<void> {
  const fake = await startFakeServer(handler, options);
  try {
    await run(fake.port, fake.commands);
  } finally {
    await fake.close();
  }
}

function login(port: number, options: ClientOptions = {}): Promise<Client> {
  return Client.context("127.0.0.1", {
    port,
    user: "u",
    password: "p",
    socketTimeout: 1000,
    connectionTimeout: 1000,
    ...options,
  });
}

/** Elapsed milliseconds of `fn`. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Serves `content` for RETR over a passive connection announced by PASV/EPSV. */
function serveFile(content: Uint8Array, options: { pasvHost?: string } = {}): FakeHandler {
  let data: Promise<{ port: number; accepted: Promise<import("node:net").Socket> }> | null = null;
  return async (command, session) => {
    const verb = command.split(" ")[0];
    if (verb === "EPSV") {
      session.send("500 no EPSV\r\n");
      return true;
    }
    if (verb === "PASV") {
      data = session.listenData();
      const { port } = await data;
      const host = (options.pasvHost ?? "127.0.0.1").replaceAll(".", ",");
      session.send(`227 Entering Passive Mode (${host},${port >> 8},${port & 255})\r\n`);
      return true;
    }
    if (verb === "RETR") {
      const socket = await (await data!).accepted;
      session.send("150 here it comes\r\n");
      socket.end(content, () => session.send("226 done\r\n"));
      return true;
    }
    return false;
  };
}

describe("client against misbehaving servers", () => {
  test("garbage greeting fails with ProtocolError", async () => {
    await withFake(() => false, async (port) => {
      await assert.rejects(login(port), ProtocolError);
    }, { greeting: "hello, I am not FTP\r\n" });
  });

  test("truncated multi-line replies: a hang times out, a close is a ProtocolError", async () => {
    await withFake(() => false, async (port) => {
      await assert.rejects(login(port, { socketTimeout: 300 }), FtpTimeoutError);
    }, { greeting: "220-Welcome\r\n220-still going\r\n" });
    // The server closes in the middle of the block.
    await withFake((command, session) => {
      if (command.startsWith("USER")) {
        session.send("331-first line\r\n");
        setTimeout(() => session.close(), 20);
        return true;
      }
      return false;
    }, async (port) => {
      await assert.rejects(login(port), ProtocolError);
    });
  });

  test("a 1 MiB reply line fails with LineTooLongError without buffering it", async () => {
    let sent = 0;
    await withFake((command, session) => {
      if (command === "PWD") {
        const chunk = "A".repeat(64 * 1024);
        const pump = () => {
          while (sent < 1024 * 1024 && !session.socket.destroyed) {
            sent += chunk.length;
            if (!session.socket.write(chunk)) {
              session.socket.once("drain", pump);
              return;
            }
          }
        };
        session.send("257 ");
        pump();
        return true;
      }
      return false;
    }, async (port) => {
      const client = await login(port);
      try {
        await assert.rejects(client.getCurrentDirectory(), LineTooLongError);
        // The connection is unusable afterwards, and says so.
        await assert.rejects(client.getCurrentDirectory(), ConnectionClosedError);
      } finally {
        client.close();
      }
    });
  });

  test("a reply of 100 000 lines is refused (max reply size)", async () => {
    await withFake((command, session) => {
      if (command === "STAT") {
        session.send("211-status\r\n" + " x\r\n".repeat(100_000) + "211 end\r\n");
        return true;
      }
      return false;
    }, async (port) => {
      const client = await login(port);
      try {
        await assert.rejects(client.command("STAT"), ProtocolError);
      } finally {
        client.close();
      }
    });
  });

  test("garbage in the middle of a session fails with ProtocolError", async () => {
    await withFake((command, session) => {
      if (command === "SYST") {
        session.send("what is this\r\n");
        return true;
      }
      return false;
    }, async (port) => {
      const client = await login(port);
      try {
        await assert.rejects(client.command("SYST", ["215"]), ProtocolError);
      } finally {
        client.close();
      }
    });
  });

  test("a PASV address pointing elsewhere is replaced by the control peer", async () => {
    const content = enc.encode("bounce-safe");
    await withFake(
      serveFile(content, { pasvHost: "203.0.113.7" }),
      async (port) => {
        await using client = await login(port);
        const stream = await client.downloadStream("/file");
        assert.equal(new TextDecoder().decode(await readAll(stream.readable)), "bounce-safe");
        await stream.finish();
      },
    );
  });

  test("a server that hangs mid-transfer fails with FtpTimeoutError within the socket timeout", async () => {
    await withFake(async (command, session) => {
      if (command === "EPSV") {
        session.send("500 no\r\n");
        return true;
      }
      if (command === "PASV") {
        const { port, accepted } = await session.listenData();
        session.send(`227 ok (127,0,0,1,${port >> 8},${port & 255})\r\n`);
        accepted.then((socket) => {
          (session as { data?: unknown }).data = socket;
        });
        return true;
      }
      if (command.startsWith("RETR")) {
        session.send("150 sending\r\n");
        const socket = (session as { data?: import("node:net").Socket }).data;
        socket?.write(new Uint8Array(1000)); // then nothing, and no close
        return true;
      }
      return false;
    }, async (port, commands) => {
      const client = await login(port, { socketTimeout: 500 });
      try {
        const stream = await client.downloadStream("/file");
        const queued = client.size("/after"); // waits behind the transfer
        const elapsed = await timed(() =>
          assert.rejects(readAll(stream.readable), FtpTimeoutError)
        );
        assert.ok(elapsed < 3000, `took ${elapsed} ms`);
        // Everything queued behind the dead session fails clearly.
        await assert.rejects(queued, ConnectionClosedError);
        await assert.rejects(client.size("/x"), ConnectionClosedError);
        assert.ok(!commands.includes("SIZE /after"));
      } finally {
        client.close();
      }
    });
  });

  test("a server that never replies fails with FtpTimeoutError", async () => {
    await withFake((command) => command === "MKD /slow", async (port) => {
      const client = await login(port, { socketTimeout: 300 });
      try {
        const elapsed = await timed(() =>
          assert.rejects(client.makeDirectory("/slow"), FtpTimeoutError)
        );
        assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      } finally {
        client.close();
      }
    });
  });

  test("a dropped connection fails every queued call with ConnectionClosedError", async () => {
    await withFake((command, session) => {
      if (command.startsWith("SIZE")) {
        session.close();
        return true;
      }
      return false;
    }, async (port) => {
      const client = await login(port);
      try {
        const calls = [client.size("/a"), client.getCurrentDirectory(), client.exists("/b")];
        const results = await Promise.allSettled(calls);
        for (const r of results) {
          assert.equal(r.status, "rejected");
          assert.ok(
            (r as PromiseRejectedResult).reason instanceof ConnectionClosedError,
            String((r as PromiseRejectedResult).reason),
          );
        }
      } finally {
        client.close();
      }
    });
  });

  test("an AbortSignal cancels a wait; the late reply is dropped, the session goes on", async () => {
    await withFake((command, session) => {
      if (command === "MKD /slow") {
        setTimeout(() => session.send('257 "/slow" created\r\n'), 300);
        return true;
      }
      if (command === "SIZE /a") {
        session.send("213 42\r\n");
        return true;
      }
      return false;
    }, async (port) => {
      await using client = await login(port, { socketTimeout: 5000 });
      const elapsed = await timed(() =>
        assert.rejects(
          client.makeDirectory("/slow", { signal: AbortSignal.timeout(50) }),
          (err: unknown) => err instanceof AbortedError || err instanceof FtpTimeoutError,
        )
      );
      assert.ok(elapsed < 250, `took ${elapsed} ms`);
      assert.equal(await client.size("/a"), 42);
    });
  });

  test("aborting while a transfer starts drops its 150 and 226; the session goes on", async () => {
    await withFake(async (command, session) => {
      if (command === "EPSV") {
        session.send("500 no\r\n");
        return true;
      }
      if (command === "PASV") {
        const { port } = await session.listenData();
        session.send(`227 ok (127,0,0,1,${port >> 8},${port & 255})\r\n`);
        return true;
      }
      if (command.startsWith("RETR")) {
        setTimeout(() => session.send("150 late\r\n"), 150);
        setTimeout(() => session.send("226 done anyway\r\n"), 250);
        return true;
      }
      if (command === "SIZE /x") {
        session.send("213 7\r\n");
        return true;
      }
      return false;
    }, async (port) => {
      await using client = await login(port, { socketTimeout: 5000 });
      await assert.rejects(
        client.downloadStream("/file", { signal: AbortSignal.timeout(50) }),
        (err: unknown) => err instanceof AbortedError || err instanceof FtpTimeoutError,
      );
      assert.equal(await client.size("/x"), 7);
    });
  });

  test("concurrent calls are queued: one command on the wire at a time, replies matched", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    await withFake((command, session) => {
      const m = /^SIZE \/f(\d+)$/.exec(command);
      if (!m) return false;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        session.send(`213 ${m[1]}\r\n`);
      }, 5);
      return true;
    }, async (port, commands) => {
      await using client = await login(port);
      const sizes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => client.size(`/f${i}`)),
      );
      assert.deepEqual(sizes, Array.from({ length: 20 }, (_, i) => i));
      assert.equal(maxInFlight, 1);
      assert.deepEqual(
        commands.filter((c) => c.startsWith("SIZE")),
        Array.from({ length: 20 }, (_, i) => `SIZE /f${i}`),
      );
    });
  });

  test("an oversized listing fails with ProtocolError (maxListingBytes)", async () => {
    await withFake(async (command, session) => {
      if (command === "EPSV") {
        session.send("500 no\r\n");
        return true;
      }
      if (command === "PASV") {
        const { port, accepted } = await session.listenData();
        session.send(`227 ok (127,0,0,1,${port >> 8},${port & 255})\r\n`);
        (session as { data?: unknown }).data = accepted;
        return true;
      }
      if (command.startsWith("LIST")) {
        session.send("150 listing\r\n");
        const socket = await (session as { data?: Promise<import("node:net").Socket> }).data!;
        const line = "-rw-r--r-- 1 a b 1 Jan  1  2020 " + "x".repeat(200) + "\r\n";
        socket.end(line.repeat(2000), () => session.send("226 done\r\n"));
        return true;
      }
      return false;
    }, async (port) => {
      const client = await login(port, { maxListingBytes: 64 * 1024 });
      try {
        await assert.rejects(client.list("/").toArray(), ProtocolError);
      } finally {
        client.close();
      }
    });
  });

  test("HASH: the server's digest is used, and a mismatch is reported", async () => {
    const content = enc.encode("verify me please");
    const good = createHash("sha256").update(content).digest("hex");
    let digest = good;
    const files = serveFile(content);
    await withFake((command, session) => {
      if (command === "OPTS HASH SHA-256") {
        session.send("200 SHA-256\r\n");
        return true;
      }
      if (command.startsWith("HASH ")) {
        session.send(`213 SHA-256 0-${content.byteLength} ${digest} ${command.slice(5)}\r\n`);
        return true;
      }
      if (command.startsWith("MLST")) {
        session.send(`250-Listing\r\n type=file;size=${content.byteLength}; /file\r\n250 End\r\n`);
        return true;
      }
      return files(command, session);
    }, async (port) => {
      await using client = await login(port);
      assert.equal(await client.hash("/file"), good);
      const local = await tempDir("ftpkit-hash-");
      try {
        await client.download("/file", local.path, { verify: true });
        assert.deepEqual(new Uint8Array(await readFile(join(local.path, "file"))), content);
        digest = "00".repeat(32);
        await assert.rejects(
          client.download("/file", local.path, { verify: true }),
          ChecksumMismatchError,
        );
      } finally {
        await local.remove();
      }
    }, { features: ["MLST type*;size*;", "HASH SHA-1;SHA-256*;MD5", "SIZE"] });
  });

  test("a refused command carries expected codes, received codes and the server's lines", async () => {
    await withFake((command, session) => {
      if (command.startsWith("DELE")) {
        session.send("550-No such file\r\n550 really\r\n");
        return true;
      }
      return false;
    }, async (port) => {
      await using client = await login(port);
      await assert.rejects(client.removeFile("/nope"), (err: unknown) => {
        assert.ok(err instanceof StatusCodeError);
        assert.deepEqual(err.receivedCodes, ["550"]);
        assert.deepEqual(err.expectedCodes, ["2xx"]);
        assert.deepEqual(err.info, ["550-No such file", "550 really"]);
        return true;
      });
      // The session is fine after a refusal.
      assert.equal(await client.getCurrentDirectory(), "/");
    });
  });
});

import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, type ClientOptions } from "../../client/client.ts";
import { FtpError } from "../../streams/errors.ts";
import { CA_PEM } from "../_helpers.ts";
import { type HostileControl, type HostileScript, startHostileServer } from "./_hostile_server.ts";
import { printRows } from "./_summary.ts";

const TIMEOUT = 500;
const OPTIONS: ClientOptions = {
  socketTimeout: TIMEOUT,
  connectionTimeout: TIMEOUT,
  tls: { caCerts: [CA_PEM], serverName: "localhost" },
};
const outcomes: [string, string][] = [];

interface Case {
  script?: HostileScript;
  greeting?: string | ((control: HostileControl) => void);
  operation: (client: Client, port: number) => Promise<unknown>;
  client?: ClientOptions;
}

/**
 * Run `operation` against a hostile server and require a typed ftpkit error
 * within a bound of a few timeouts (slack for a loaded machine).
 */
async function expectTypedFailure(name: string, c: Case): Promise<void> {
  const server = await startHostileServer(c.script ?? (() => false), c.greeting);
  const client = new Client({ ...OPTIONS, ...c.client });
  const started = Date.now();
  try {
    // A watchdog, so a missing timeout fails the test instead of hanging it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hung = new Promise<string>((r) => timer = setTimeout(() => r("hung"), 10 * TIMEOUT));
    const error = await Promise.race([
      c.operation(client, server.port).then(() => null, (e: unknown) => e),
      hung,
    ]);
    clearTimeout(timer);
    const elapsed = Date.now() - started;
    outcomes.push([
      name,
      error instanceof Error ? `${error.constructor.name} after ${elapsed} ms` : "no error",
    ]);
    assert.ok(error instanceof FtpError, `${name}: expected an ftpkit error, got ${String(error)}`);
    assert.ok(elapsed < 8 * TIMEOUT, `${name}: took ${elapsed} ms`);
  } finally {
    client.close();
    await server.close();
  }
}

async function login(client: Client, port: number): Promise<void> {
  await client.connect("127.0.0.1", port);
  await client.login({ user: "u", password: "p" });
}

/** Answer PASV with a data port the script controls. */
function passive(
  onData: (socket: import("node:net").Socket, control: HostileControl) => void,
  onCommand: (line: string, control: HostileControl) => boolean = () => false,
): HostileScript {
  return (line, control) => {
    const name = line.split(" ")[0].toUpperCase();
    if (name === "EPSV") {
      control.listenData((s) => onData(s, control)).then((port) =>
        control.send(`229 Entering Extended Passive Mode (|||${port}|)\r\n`)
      );
      return true;
    }
    return onCommand(line, control);
  };
}

describe("client against a hostile server: every fault is a typed error within its timeout", () => {
  after(() => printRows("hostile server (client side)", outcomes));

  test("hang during the AUTH TLS handshake", async () => {
    await expectTypedFailure("AUTH TLS: 234, then silence", {
      script: (line, c) => {
        if (!line.startsWith("AUTH")) return false;
        c.send("234 go ahead\r\n");
        return true;
      },
      operation: async (client, port) => {
        await client.connect("127.0.0.1", port);
        await client.upgradeToTls();
      },
    });
  });

  test("implicit TLS to a server that never answers the ClientHello", async () => {
    await expectTypedFailure("implicit TLS: silence", {
      greeting: () => {},
      client: { implicitTls: true },
      operation: (client, port) => client.connect("127.0.0.1", port),
    });
  });

  test("hang during the data connection's TLS handshake (PROT P)", async () => {
    await expectTypedFailure("data TLS handshake: silence", {
      script: passive(() => {/* accept, never handshake */}, (line, c) => {
        if (line.startsWith("AUTH")) {
          c.startTls();
          return true;
        }
        if (line.startsWith("RETR")) {
          c.send("150 here it comes\r\n");
          return true;
        }
        return false;
      }),
      operation: async (client, port) => {
        await client.connect("127.0.0.1", port);
        await client.upgradeToTls();
        await client.login({ user: "u", password: "p" });
        const stream = await client.downloadStream("/f");
        await new Response(stream.readable).arrayBuffer();
        await stream.finish();
      },
    });
  });

  test("slow drip: a greeting one byte every 100 ms that never ends", async () => {
    await expectTypedFailure("drip greeting line", {
      greeting: (c) => c.drip("220 " + "a".repeat(500) + "\r\n", 100),
      operation: (client, port) => client.connect("127.0.0.1", port),
    });
  });

  test("slow drip: a multi-line reply whose lines keep coming within the timeout", async () => {
    await expectTypedFailure("drip multi-line reply", {
      greeting: (c) => {
        c.send("220-welcome\r\n");
        c.drip(" more\r\n".repeat(200), 50);
      },
      operation: (client, port) => client.connect("127.0.0.1", port),
    });
  });

  test("reply codes outside the grammar", async () => {
    const greetings: [string, string][] = [
      ["code 999", "999 nope\r\n"],
      ["code 2200", "2200 long\r\n"],
      ["code 22", "22 short\r\n"],
      ["control bytes", "\x00\x01\x02\r\n"],
    ];
    for (const [label, greeting] of greetings) {
      // Labels stay free of quotes and backslashes: node's TAP output escapes them.
      await expectTypedFailure(`greeting: ${label}`, {
        greeting,
        operation: (client, port) => client.connect("127.0.0.1", port),
      });
    }
  });

  test("passive replies that lie: malformed, out-of-range port, nobody listening", async () => {
    const lies: [string, string][] = [
      ["EPSV port 70000", "229 Entering Extended Passive Mode (|||70000|)\r\n"],
      ["EPSV port 0", "229 Entering Extended Passive Mode (|||0|)\r\n"],
      ["EPSV in PASV form", "229 Entering Extended Passive Mode (1,2,3)\r\n"],
      ["EPSV to a closed port", "229 Entering Extended Passive Mode (|||1|)\r\n"],
      ["PASV bytes over 255", "227 Entering Passive Mode (127,0,0,1,999,999)\r\n"],
    ];
    for (const [label, reply] of lies) {
      await expectTypedFailure(`passive: ${label}`, {
        script: (line, c) => {
          const name = line.split(" ")[0].toUpperCase();
          if (name !== "EPSV" && name !== "PASV") return false;
          c.send(reply.startsWith("227") === (name === "PASV") ? reply : "500 no\r\n");
          return true;
        },
        operation: async (client, port) => {
          await login(client, port);
          await client.nlst("/");
        },
      });
    }
  });

  test("the server closes the control connection mid-download", async () => {
    await expectTypedFailure("control closed mid-RETR", {
      script: passive((socket, c) => {
        socket.write(new Uint8Array(64 * 1024));
        setTimeout(() => c.close(), 50);
      }, (line, c) => {
        if (!line.startsWith("RETR")) return false;
        c.send("150 here\r\n");
        return true;
      }),
      operation: async (client, port) => {
        await login(client, port);
        const stream = await client.downloadStream("/f");
        await new Response(stream.readable).arrayBuffer();
        await stream.finish();
      },
    });
  });

  test("the data connection hangs mid-listing", async () => {
    await expectTypedFailure("listing hangs", {
      script: passive(
        (socket) => socket.write("-rw-r--r-- 1 a b 1 Jan 1 00:00 f\r\n"),
        (line, c) => {
          if (!line.startsWith("NLST") && !line.startsWith("LIST") && !line.startsWith("MLSD")) {
            return false;
          }
          c.send("150 listing\r\n");
          return true;
        },
      ),
      operation: async (client, port) => {
        await login(client, port);
        await client.nlst("/");
      },
    });
  });
});

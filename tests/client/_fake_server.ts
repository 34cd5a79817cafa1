/**
 * A scripted FTP server for misbehaviour tests: it answers the login
 * sequence, then hands each further command to the test's handler, which may
 * reply, send garbage, hang, or drop the connection.
 *
 * @module
 */

import * as net from "node:net";

/** One accepted control connection as the handler sees it. */
export interface FakeSession {
  /** Send raw text (add `\r\n` yourself). */
  send(text: string): void;
  /** Close the control connection. */
  close(): void;
  /** Open a passive data listener on 127.0.0.1; resolves its port and the next data socket. */
  listenData(): Promise<{ port: number; accepted: Promise<net.Socket> }>;
  /** The raw socket. */
  socket: net.Socket;
}

/** Returns `true` when it handled the command. */
export type FakeHandler = (command: string, session: FakeSession) => boolean | Promise<boolean>;

/** A running fake server. */
export interface FakeServer {
  port: number;
  /** Every command received, in order. */
  commands: string[];
  close(): Promise<void>;
}

/** Options of {@linkcode startFakeServer}. */
export interface FakeServerOptions {
  /** The greeting (default `"220 fake ready\r\n"`); may be anything, even garbage. */
  greeting?: string;
  /** FEAT lines (default none besides the frame). */
  features?: string[];
}

/** Start a fake server on 127.0.0.1. */
export async function startFakeServer(
  handler: FakeHandler,
  options: FakeServerOptions = {},
): Promise<FakeServer> {
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const listeners = new Set<net.Server>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const session: FakeSession = {
      socket,
      send: (text) => {
        if (!socket.destroyed) socket.write(text);
      },
      close: () => socket.destroy(),
      listenData: () =>
        new Promise((resolve) => {
          const data = net.createServer();
          listeners.add(data);
          const accepted = new Promise<net.Socket>((r) =>
            data.once("connection", (s) => {
              s.on("error", () => {});
              sockets.add(s);
              r(s);
              data.close();
            })
          );
          data.listen(0, "127.0.0.1", () =>
            resolve({ port: (data.address() as net.AddressInfo).port, accepted }));
        }),
    };
    session.send(options.greeting ?? "220 fake ready\r\n");
    let buffer = "";
    let chain = Promise.resolve();
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      let at: number;
      while ((at = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        commands.push(line);
        chain = chain.then(async () => {
          if (await handler(line, session)) return;
          session.send(defaultReply(line, options.features ?? []));
        });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    commands,
    close: async () => {
      for (const s of sockets) s.destroy();
      for (const l of listeners) l.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function defaultReply(line: string, features: string[]): string {
  const verb = line.split(" ")[0].toUpperCase();
  switch (verb) {
    case "USER":
      return "331 password please\r\n";
    case "PASS":
      return "230 logged in\r\n";
    case "TYPE":
      return "200 type set\r\n";
    case "FEAT":
      return ["211-Features:", ...features.map((f) => " " + f), "211 End", ""].join("\r\n");
    case "OPTS":
      return "200 ok\r\n";
    case "NOOP":
      return "200 noop\r\n";
    case "QUIT":
      return "221 bye\r\n";
    case "PWD":
      return '257 "/" is current\r\n';
    default:
      return "502 not implemented\r\n";
  }
}

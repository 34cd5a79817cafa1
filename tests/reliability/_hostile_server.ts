/**
 * A hostile FTP server for the client side of the adversarial suite: a
 * script per connection decides what each command gets (drips, hangs,
 * lies, garbage), with a real `AUTH TLS` upgrade so handshakes can stall
 * on the control or the data connection.
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { SERVER_TLS } from "../_helpers.ts";

/** What a script can do with one control connection. */
export interface HostileControl {
  /** Send raw text as is. */
  send(text: string): void;
  /** Send `text` one byte every `intervalMs` (until the connection closes). */
  drip(text: string, intervalMs: number): void;
  /** Reply `234` and switch the control connection to TLS (server side). */
  startTls(): void;
  /** Listen for one data connection on 127.0.0.1; resolves its port. */
  listenData(onSocket: (socket: net.Socket) => void): Promise<number>;
  /** Drop the connection. */
  close(): void;
}

/** Decides the answer to `command`; return `false` for the default answers (login, TYPE, FEAT). */
export type HostileScript = (command: string, control: HostileControl) => boolean;

/** A running hostile server. */
export interface HostileServer {
  port: number;
  close(): Promise<void>;
}

/** Start a hostile server; `greeting` may be anything (default a normal `220`). */
export async function startHostileServer(
  script: HostileScript,
  greeting: ((control: HostileControl) => void) | string = "220 hostile ready\r\n",
): Promise<HostileServer> {
  const sockets = new Set<net.Socket>();
  const servers = new Set<net.Server>();
  const timers = new Set<ReturnType<typeof setInterval>>();
  const context = tls.createSecureContext({ cert: SERVER_TLS.cert, key: SERVER_TLS.key });
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  };
  const server = net.createServer((plain) => {
    track(plain);
    let socket: net.Socket = plain;
    let buffer = "";
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      let at;
      while ((at = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        if (!script(line, control)) defaultAnswer(line, control);
      }
    };
    const control: HostileControl = {
      send: (text) => {
        if (!socket.destroyed) socket.write(text);
      },
      drip: (text, intervalMs) => {
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= text.length) {
            clearInterval(timer);
            timers.delete(timer);
            return;
          }
          socket.write(text[i++]);
        }, intervalMs);
        timers.add(timer);
      },
      startTls: () => {
        plain.write("234 go ahead\r\n");
        plain.removeListener("data", onData);
        plain.pause();
        const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context });
        track(secure);
        secure.on("data", onData);
        socket = secure;
      },
      listenData: (onSocket) =>
        new Promise((resolve) => {
          const data = net.createServer((s) => {
            track(s);
            data.close();
            onSocket(s);
          });
          servers.add(data);
          data.listen(0, "127.0.0.1", () => resolve((data.address() as net.AddressInfo).port));
        }),
      close: () => socket.destroy(),
    };
    plain.on("data", onData);
    if (typeof greeting === "string") control.send(greeting);
    else greeting(control);
  });
  servers.add(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
      await Promise.all([...servers].map((s) => new Promise((r) => s.close(r))));
    },
  };
}

function defaultAnswer(line: string, control: HostileControl): void {
  const name = line.split(" ")[0].toUpperCase();
  const answers: Record<string, string> = {
    USER: "331 password\r\n",
    PASS: "230 in\r\n",
    TYPE: "200 ok\r\n",
    FEAT: "211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n",
    OPTS: "200 ok\r\n",
    PBSZ: "200 PBSZ=0\r\n",
    PROT: "200 ok\r\n",
    QUIT: "221 bye\r\n",
    NOOP: "200 ok\r\n",
  };
  control.send(answers[name] ?? "502 no\r\n");
}

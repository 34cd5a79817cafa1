/**
 * Add your own FTP command to the server (`SITE` here, answering
 * `SITE UPTIME` and `SITE WHOAMI`), and call it from the client with
 * `client.command`. Self-contained: it starts the server on a free port,
 * talks to it and stops.
 *
 * Run: `deno run -A examples/custom_command.ts` (Bun: `bun examples/custom_command.ts`,
 * Node: `node npm/examples/custom_command.js`).
 *
 * In your own project import from `@ftpkit/ftp` (JSR) or `ftpkit` (npm).
 *
 * @module
 */

import { Client, type CommandTable, MemoryPathIO, ReplyError, Server, User } from "../mod.ts";

const started = Date.now();
const commands: CommandTable = {
  SITE: {
    argument: "required",
    run(session, argument) {
      const [verb] = argument.trim().split(/\s+/);
      switch (verb.toUpperCase()) {
        case "UPTIME":
          return session.reply(200, `up ${Math.round((Date.now() - started) / 1000)} s`);
        case "WHOAMI":
          return session.reply(200, `you are ${session.user?.login ?? "anonymous"}`);
        default:
          // A ReplyError becomes the reply; the session goes on.
          throw new ReplyError(504, `SITE ${verb} is not known here`);
      }
    },
  },
};

const server = new Server({
  pathIO: new MemoryPathIO(),
  users: [new User({ login: "alice", password: "secret" })],
  commands,
});
const { port } = await server.start("127.0.0.1", 0);
try {
  await using client = await Client.context(`ftp://alice:secret@127.0.0.1:${port}`);
  const whoami = await client.command("SITE WHOAMI", ["200"]);
  console.log(whoami.lines[0]);
  const uptime = await client.command("SITE UPTIME", ["200"]);
  console.log(uptime.lines[0]);
  // Expecting 200 but getting 504 throws a StatusCodeError with both codes.
  await client.command("SITE REBOOT", ["200"]).catch((err) =>
    console.log(`${err.name}: ${err.message}`)
  );
} finally {
  await server.close();
}

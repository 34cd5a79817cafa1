/**
 * basic-ftp (Node) doing one benchmark job.
 *
 * Usage: `node bench/clients/basic_ftp_client.mjs --port N <action> ...`
 * (actions and output: see `_common.mjs`).
 *
 * @module
 */

import { Writable } from "node:stream";
import { basename, join } from "node:path";
import { Client } from "basic-ftp";
import { parseClientArgs, reportClientJob } from "./_common.mjs";

const args = parseClientArgs(process.argv.slice(2));

await reportClientJob(async () => {
  const client = new Client(0);
  await client.access({
    host: args.host,
    port: Number(args.port),
    user: args.user,
    password: args.password,
  });
  const done = () => Promise.resolve(client.close());
  switch (args.action) {
    case "download": {
      let bytes = 0;
      const sink = new Writable({
        write(chunk, _encoding, callback) {
          bytes += chunk.length;
          callback();
        },
      });
      await client.downloadTo(sink, args.remote);
      return { bytes, done };
    }
    case "upload": {
      await client.uploadFrom(args.local, args.remote);
      return { bytes: Number(args.size), done };
    }
    case "list": {
      const entries = (await client.list(args.remote)).length;
      return { entries, done };
    }
    case "small": {
      const files = args.files.split(",");
      let bytes = 0;
      for (const local of files) {
        await client.uploadFrom(local, `${args.remote}/${basename(local)}`);
      }
      for (const local of files) {
        await client.downloadTo(
          join(args["local-dir"], basename(local)),
          `${args.remote}/${basename(local)}`,
        );
        bytes += 2 * Number(args.size);
      }
      return { bytes, entries: files.length, done };
    }
    default:
      throw new Error(`unknown action ${args.action}`);
  }
});

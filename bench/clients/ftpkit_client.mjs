/**
 * ftpkit's client doing one benchmark job, on whichever runtime runs this
 * file: `deno run -A` / `bun` import `mod.ts`, Node imports the tsc build.
 *
 * Usage: `<runtime> bench/clients/ftpkit_client.mjs --module <ftpkit mod.ts|mod.js> --port N <action> ...`
 * (actions and output: see `_common.mjs`).
 *
 * @module
 */

import { pathToFileURL } from "node:url";
import { basename, join } from "node:path";
import { parseClientArgs, reportClientJob } from "./_common.mjs";

const args = parseClientArgs(process.argv.slice(2));
const { Client } = await import(pathToFileURL(args.module).href);

await reportClientJob(async () => {
  const client = await Client.context(args.host, {
    port: Number(args.port),
    user: args.user,
    password: args.password,
  });
  const done = () => client.quit();
  // Experiment switch (bench/run.ts --ftpkit-block-size): the local read size of uploads.
  const fileOptions = {
    writeInto: true,
    ...(args["block-size"] ? { blockSize: Number(args["block-size"]) } : {}),
  };
  switch (args.action) {
    case "download": {
      // Into a sink, as basic-ftp's `downloadTo(writable)`: `writeTo` is ftpkit's
      // API for that (reused buffers); `--download-via readable` measures the
      // generic `for await` over the web stream instead.
      const stream = await client.downloadStream(args.remote);
      let bytes = 0;
      if (args["download-via"] === "readable") {
        for await (const chunk of stream.readable) bytes += chunk.byteLength;
      } else {
        await stream.writeTo((chunk) => {
          bytes += chunk.byteLength;
          return Promise.resolve();
        });
      }
      await stream.finish();
      return { bytes, done };
    }
    case "upload": {
      await client.upload(args.local, args.remote, fileOptions);
      return { bytes: Number(args.size), done };
    }
    case "list": {
      let entries = 0;
      for await (const _entry of client.list(args.remote)) entries++;
      return { entries, done };
    }
    case "small": {
      const files = args.files.split(",");
      let bytes = 0;
      for (const local of files) {
        await client.upload(local, `${args.remote}/${basename(local)}`, fileOptions);
      }
      for (const local of files) {
        await client.download(
          `${args.remote}/${basename(local)}`,
          join(args["local-dir"], basename(local)),
          {
            writeInto: true,
          },
        );
        bytes += 2 * Number(args.size);
      }
      return { bytes, entries: files.length, done };
    }
    default:
      throw new Error(`unknown action ${args.action}`);
  }
});

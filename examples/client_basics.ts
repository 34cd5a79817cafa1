/**
 * The client's everyday calls against a server you name: make a directory,
 * upload from a stream, list, download and compare, rename, remove.
 *
 * Run: `deno run -A examples/client_basics.ts ftp://user:password@127.0.0.1:2121`
 * (Bun: `bun examples/client_basics.ts URL`, Node: `node npm/examples/client_basics.js URL`).
 * The user needs write access.
 *
 * In your own project import from `@ftpkit/ftp` (JSR) or `ftpkit` (npm).
 *
 * @module
 */

import process from "node:process";
import { Client } from "../mod.ts";

const url = process.argv[2];
if (!url) {
  console.error("usage: client_basics.ts ftp://user:password@host:port");
  process.exit(2);
}

await using client = await Client.context(url);
console.log(`connected, remote directory: ${await client.getCurrentDirectory()}`);

await client.makeDirectory("/examples/basics", { parents: true });

// Upload from any Web ReadableStream (here: text), then finish() waits for the server's 226.
const text = "hello from ftpkit\n".repeat(1000);
const upload = await client.uploadStream("/examples/basics/hello.txt");
await new Blob([text]).stream().pipeTo(upload.writable);
await upload.finish();

for await (const [path, info] of client.list("/examples/basics")) {
  console.log(`listed ${path} ${info.type} ${info.size} bytes`);
}

// Download as a stream and compare.
const download = await client.downloadStream("/examples/basics/hello.txt");
const received = await new Response(download.readable).text();
await download.finish();
console.log(`downloaded ${received.length} characters, same: ${received === text}`);

await client.rename("/examples/basics/hello.txt", "/examples/basics/renamed.txt");
console.log(`renamed, size on the server: ${await client.size("/examples/basics/renamed.txt")}`);

await client.remove("/examples/basics");
console.log(`removed, exists: ${await client.exists("/examples/basics")}`);
if (received !== text) process.exitCode = 1;

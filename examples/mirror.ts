/**
 * Mirror a local directory tree to a server and back, with several
 * connections working through one queue of files (what `ftpkit mirror
 * --parallel N` does, in a few lines of library code).
 *
 * Run: `deno run -A examples/mirror.ts ftp://user:password@127.0.0.1:2121 [connections]`
 * (Bun: `bun examples/mirror.ts URL`, Node: `node npm/examples/mirror.js URL`).
 * It creates its own sample tree in a temporary directory and uploads it to
 * `/examples/mirror` on the server, which it removes at the end.
 *
 * In your own project import from `@ftpkit/ftp` (JSR) or `ftpkit` (npm).
 *
 * @module
 */

import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Client } from "../mod.ts";

const url = process.argv[2];
if (!url) {
  console.error("usage: mirror.ts ftp://user:password@host:port [connections]");
  process.exit(2);
}
const connections = Number(process.argv[3] ?? 3);
const remoteRoot = "/examples/mirror";

// A sample tree: 12 files in 3 directories.
const work = await mkdtemp(join(tmpdir(), "ftpkit-mirror-example-"));
const source = join(work, "source");
const files: string[] = [];
for (let d = 0; d < 3; d++) {
  await mkdir(join(source, `dir${d}`), { recursive: true });
  for (let f = 0; f < 4; f++) {
    const name = `dir${d}/file${f}.txt`;
    await writeFile(join(source, name), `file ${name}\n`.repeat(100 * (f + 1)));
    files.push(name);
  }
}

try {
  // Directories first, on one connection; then the files over several.
  const clients = await Promise.all(
    Array.from({ length: connections }, () => Client.context(url)),
  );
  for (let d = 0; d < 3; d++) {
    await clients[0].makeDirectory(`${remoteRoot}/dir${d}`, { parents: true });
  }
  const copyAll = async (copy: (client: Client, name: string) => Promise<void>) => {
    const queue = [...files];
    await Promise.all(clients.map(async (client) => {
      for (let name = queue.shift(); name; name = queue.shift()) await copy(client, name);
    }));
  };
  await copyAll((client, name) =>
    client.upload(join(source, name), `${remoteRoot}/${name}`, { writeInto: true })
  );
  console.log(`uploaded ${files.length} files over ${connections} connections`);

  const copy = join(work, "copy");
  for (let d = 0; d < 3; d++) await mkdir(join(copy, `dir${d}`), { recursive: true });
  await copyAll((client, name) =>
    client.download(`${remoteRoot}/${name}`, join(copy, name), { writeInto: true })
  );
  let same = 0;
  for (const name of files) {
    const [a, b] = await Promise.all([readFile(join(source, name)), readFile(join(copy, name))]);
    if (a.equals(b)) same++;
  }
  console.log(`downloaded ${files.length} files, ${same} identical`);

  await clients[0].remove(remoteRoot);
  await Promise.all(clients.map((c) => c.quit()));
  if (same !== files.length) process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}

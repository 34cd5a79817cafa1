/**
 * One scenario that exercises every client operation against a server and
 * checks contents by SHA-256. Used for every peer, mode and TLS setting.
 *
 * @module
 */

import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join as osJoin } from "node:path";
import { Client, type ClientOptions, type TransferProgress } from "../../client/mod.ts";
import { join } from "../../pathio/posix.ts";
import {
  CA_PEM,
  pseudoRandomBytes,
  pseudoRandomStream,
  readAll,
  sha256,
  sha256Stream,
  tempDir,
} from "../_helpers.ts";
import type { Peer } from "./_peers.ts";
import { UnsafeArgumentError } from "../../client/errors.ts";

/** How to connect to a peer. */
export interface ScenarioMode {
  passive: boolean;
  tls: boolean;
}

/** Connect and log in to `peer` in `mode`. */
export function connectTo(
  peer: Peer,
  mode: ScenarioMode,
  extra: ClientOptions = {},
): Promise<Client> {
  return Client.context(peer.host, {
    port: peer.port,
    user: peer.user,
    password: peer.password,
    passive: mode.passive,
    upgradeToTls: mode.tls ? { caCerts: [CA_PEM], serverName: "localhost" } : false,
    socketTimeout: 10_000,
    connectionTimeout: 10_000,
    ...extra,
  });
}

const BIG = 1024 * 1024 + 123;
const dec = new TextDecoder();

/** Run every operation; throws (assert) on the first difference. */
export async function runScenario(client: Client): Promise<void> {
  const base = await client.getCurrentDirectory();
  const tree = join(base, "tree");

  // Injection attempts never reach the wire.
  await assert.rejects(client.removeFile("x\r\nDELE y"), UnsafeArgumentError);
  await assert.rejects(client.command("NOOP\r\nDELE y"), UnsafeArgumentError);

  await client.makeDirectory(join(tree, "sub", "deep"), { parents: true });
  await client.makeDirectory(join(tree, "sub"), { parents: true }); // exists: fine
  assert.equal(await client.isDir(join(tree, "sub", "deep")), true);

  // Stream upload with progress, then download by stream and compare.
  const reports: TransferProgress[] = [];
  const big = join(tree, "big.bin");
  const upload = await client.uploadStream(big, { onProgress: (p) => reports.push(p), total: BIG });
  await pseudoRandomStream(BIG, 64 * 1024, 7).pipeTo(upload.writable);
  await upload.finish();
  assert.ok(reports.length >= 1 && reports[reports.length - 1].done);
  assert.equal(reports[reports.length - 1].bytes, BIG);
  assert.equal(reports[reports.length - 1].total, BIG);
  const expected = await sha256(concatRandom(BIG, 64 * 1024, 7));
  assert.equal(await client.size(big), BIG);
  const download = await client.downloadStream(big);
  const got = await sha256Stream(download.readable);
  await download.finish();
  assert.equal(got.bytes, BIG);
  assert.equal(got.hex, expected);

  // Append and REST offsets.
  const hello = join(tree, "hello.txt");
  const up1 = await client.uploadStream(hello);
  await new Blob(["hello "]).stream().pipeTo(up1.writable);
  await up1.finish();
  const up2 = await client.appendStream(hello);
  await new Blob(["world"]).stream().pipeTo(up2.writable);
  await up2.finish();
  assert.equal(await downloadText(client, hello), "hello world");
  assert.equal(await downloadText(client, hello, 6), "world");

  // Listings.
  const entries = await client.list(tree).toArray();
  const byName = new Map(entries.map(([p, info]) => [p, info]));
  assert.equal(byName.get(big)?.type, "file");
  assert.equal(byName.get(big)?.size, BIG);
  assert.equal(byName.get(join(tree, "sub"))?.type, "dir");
  assert.equal(byName.get(hello)?.size, 11);
  const modified = byName.get(big)?.modifiedAt;
  assert.ok(modified && Math.abs(modified.getTime() - Date.now()) < 2 * 24 * 3600e3, "listed date");
  const recursive: string[] = [];
  for await (const [path] of client.list(tree, { recursive: true })) recursive.push(path);
  assert.ok(recursive.includes(join(tree, "sub", "deep")), recursive.join(","));
  const names = await client.nlst(tree);
  assert.ok(names.some((n) => n.endsWith("big.bin")), names.join(","));

  // stat / exists / isFile / isDir / MDTM.
  const info = await client.stat(big);
  assert.equal(info.type, "file");
  assert.equal(info.size, BIG);
  assert.equal((await client.stat(join(tree, "sub"))).type, "dir");
  assert.equal(await client.exists(join(tree, "missing")), false);
  assert.equal(await client.isFile(big), true);
  assert.equal(await client.isDir(big), false);
  const mtime = await client.modificationTime(big);
  assert.ok(Math.abs(mtime.getTime() - Date.now()) < 2 * 24 * 3600e3);

  // Rename, CWD / CDUP / PWD.
  const renamed = join(tree, "renamed.txt");
  await client.rename(hello, renamed);
  assert.equal(await client.exists(hello), false);
  assert.equal(await client.isFile(renamed), true);
  await client.changeDirectory(join(tree, "sub"));
  assert.equal(await client.getCurrentDirectory(), join(tree, "sub"));
  await client.changeDirectory("..");
  assert.equal(await client.getCurrentDirectory(), tree);
  await client.changeDirectory(base);

  // Concurrent calls are queued and all answered correctly.
  const [size, listed, text, exists] = await Promise.all([
    client.size(big),
    client.list(tree).toArray(),
    downloadText(client, renamed),
    client.exists(renamed),
  ]);
  assert.equal(size, BIG);
  assert.ok(listed.length >= 3);
  assert.equal(text, "hello world");
  assert.equal(exists, true);

  // ABOR in the middle of a download leaves the connection usable.
  const partial = await client.downloadStream(big);
  const reader = partial.readable.getReader();
  const first = await reader.read();
  assert.ok(!first.done);
  reader.releaseLock();
  await partial.abort();
  assert.equal(await client.size(big), BIG);

  // Directory trees and resume through the local disk.
  const local = await tempDir("ftpkit-client-local-");
  try {
    const src = osJoin(local.path, "src");
    await mkdir(osJoin(src, "nested"), { recursive: true });
    const fileA = pseudoRandomBytes(200_000, 3);
    await writeFile(osJoin(src, "a.bin"), fileA);
    await writeFile(osJoin(src, "nested", "b.txt"), "nested file");
    await client.upload(src, tree);
    assert.equal(await client.size(join(tree, "src", "a.bin")), fileA.byteLength);
    await client.download(join(tree, "src"), osJoin(local.path, "copy"), { verify: true });
    assert.equal(
      await sha256(await readFile(osJoin(local.path, "copy", "src", "a.bin"))),
      await sha256(fileA),
    );
    assert.equal(
      await readFile(osJoin(local.path, "copy", "src", "nested", "b.txt"), "utf8"),
      "nested file",
    );
    // Resume: the local file holds the first half.
    const half = osJoin(local.path, "half.bin");
    await writeFile(half, fileA.subarray(0, 100_000));
    const resumeReports: TransferProgress[] = [];
    await client.download(join(tree, "src", "a.bin"), half, {
      writeInto: true,
      resume: true,
      onProgress: (p) => resumeReports.push(p),
    });
    assert.equal(await sha256(await readFile(half)), await sha256(fileA));
    assert.equal(resumeReports[resumeReports.length - 1].bytes, fileA.byteLength);
    // Upload resume: the remote file holds the first 50 000 bytes.
    const up = await client.uploadStream(join(tree, "resumed.bin"));
    await new Blob([fileA.slice(0, 50_000) as Uint8Array<ArrayBuffer>]).stream().pipeTo(
      up.writable,
    );
    await up.finish();
    await client.upload(osJoin(src, "a.bin"), join(tree, "resumed.bin"), {
      writeInto: true,
      resume: true,
    });
    const back = await client.downloadStream(join(tree, "resumed.bin"));
    assert.equal((await sha256Stream(back.readable)).hex, await sha256(fileA));
    await back.finish();
  } finally {
    await local.remove();
  }

  // Recursive remove.
  await client.remove(tree);
  assert.equal(await client.exists(tree), false);
}

async function downloadText(client: Client, path: string, offset = 0): Promise<string> {
  const stream = await client.downloadStream(path, { offset });
  const bytes = await readAll(stream.readable);
  await stream.finish();
  return dec.decode(bytes);
}

function concatRandom(total: number, chunk: number, seed: number): Uint8Array {
  const block = pseudoRandomBytes(chunk, seed);
  const out = new Uint8Array(total);
  for (let at = 0; at < total; at += chunk) {
    out.set(block.subarray(0, Math.min(chunk, total - at)), at);
  }
  return out;
}

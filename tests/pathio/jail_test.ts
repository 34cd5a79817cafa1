import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { join } from "node:path";
import { PathIOError } from "../../streams/errors.ts";
import {
  fileReadable,
  FsPathIO,
  isWithin,
  type PathIO,
  resolveVirtualPath,
  toBackendPath,
  toVirtualPath,
} from "../../pathio/mod.ts";
import { readAll, tempDir } from "../_helpers.ts";
import { rejectsWithKind } from "./_conformance.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const SENTINEL = "SENTINEL: must never be read or changed";
const SECRET = "SECRET beside the root";

function invalid(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof PathIOError && err.kind === "invalid");
}

describe("resolveVirtualPath", () => {
  test("relative, absolute, dot segments, repeated and trailing slashes", () => {
    assert.equal(resolveVirtualPath("/", "a"), "/a");
    assert.equal(resolveVirtualPath("/pub", "a/b/"), "/pub/a/b");
    assert.equal(resolveVirtualPath("/pub", "/etc"), "/etc");
    assert.equal(resolveVirtualPath("/pub", ""), "/pub");
    assert.equal(resolveVirtualPath("/pub", "."), "/pub");
    assert.equal(resolveVirtualPath("/pub", ".."), "/");
    assert.equal(resolveVirtualPath("/pub", "../../.."), "/");
    assert.equal(resolveVirtualPath("/pub/x", "..//./y//"), "/pub/y");
    assert.equal(resolveVirtualPath("/", "/../../a/../b"), "/b");
    assert.equal(resolveVirtualPath("pub", "a"), "/pub/a", "a relative cwd counts from /");
  });

  test("odd characters are plain name bytes", () => {
    assert.equal(resolveVirtualPath("/", "..\\..\\x"), "/..\\..\\x");
    assert.equal(resolveVirtualPath("/", "%2e%2e/x"), "/%2e%2e/x");
    assert.equal(resolveVirtualPath("/", "．．/x"), "/．．/x");
    assert.equal(resolveVirtualPath("/", "... /x"), "/... /x");
    assert.equal(resolveVirtualPath("/", "ünï cødé"), "/ünï cødé");
  });

  test("control characters and over-long input are refused", () => {
    for (const bad of ["a\0b", "a\rb", "a\nb", "a\r\nDELE x", "\t", "\x7f", "\x1b[31m"]) {
      invalid(() => resolveVirtualPath("/", bad));
    }
    invalid(() => resolveVirtualPath("/", "x".repeat(256)));
    assert.equal(resolveVirtualPath("/", "x".repeat(255)).length, 256);
    invalid(() => resolveVirtualPath("/", "é".repeat(128)) /* 256 bytes */);
    invalid(() => resolveVirtualPath("/", "a/".repeat(2100)));
    invalid(() => resolveVirtualPath("/" + "d/".repeat(2000), "e/".repeat(100)));
    invalid(() => resolveVirtualPath("/", "x".repeat(20), { maxNameBytes: 10 }));
    invalid(() => resolveVirtualPath("/", "a/b/c", { maxPathBytes: 4 }));
  });
});

describe("toBackendPath / toVirtualPath", () => {
  test("join the user's root, never above it", () => {
    assert.equal(toBackendPath("/home/ann", "/docs/a.txt"), "/home/ann/docs/a.txt");
    assert.equal(toBackendPath("/home/ann", "/"), "/home/ann");
    assert.equal(toBackendPath("/home/ann/", "/../bob"), "/home/ann/bob");
    assert.equal(toBackendPath("/home/ann", "../../etc"), "/home/ann/etc");
    assert.equal(toBackendPath("/", "/a"), "/a");
    invalid(() => toBackendPath("home", "/a"));
    invalid(() => toBackendPath("/home", "/a\0"));
  });

  test("toVirtualPath inverts toBackendPath and refuses outsiders", () => {
    assert.equal(toVirtualPath("/home/ann", "/home/ann/docs"), "/docs");
    assert.equal(toVirtualPath("/home/ann", "/home/ann"), "/");
    assert.equal(toVirtualPath("/", "/x/y"), "/x/y");
    invalid(() => toVirtualPath("/home/ann", "/home/annex"));
    invalid(() => toVirtualPath("/home/ann", "/home"));
    for (const v of ["/", "/a", "/a/b c/d"]) {
      assert.equal(toVirtualPath("/srv/u", toBackendPath("/srv/u", v)), v);
    }
  });
});

/** The escape attempts: client arguments, taken relative to `/pub`. */
const ATTEMPTS: string[] = [
  // traversal
  "../sentinel.txt",
  "../../sentinel.txt",
  "/../sentinel.txt",
  "../../../../../../../../etc/passwd",
  "/../../outside_dir/secret.txt",
  "..//..//sentinel.txt",
  "./../.././../sentinel.txt",
  "file.txt/../../../sentinel.txt",
  "../".repeat(100) + "sentinel.txt",
  "//sentinel.txt",
  "///../sentinel.txt",
  // encodings the server must not decode
  "%2e%2e/%2e%2e/sentinel.txt",
  "%2e%2e%2f%2e%2e%2fsentinel.txt",
  "..%2f..%2fsentinel.txt",
  "%252e%252e/sentinel.txt",
  "..%00/sentinel.txt",
  "..;/sentinel.txt",
  "file:///etc/passwd",
  // backslashes
  "..\\..\\sentinel.txt",
  "..\\sentinel.txt",
  "\\..\\..\\sentinel.txt",
  "C:\\Windows\\win.ini",
  "..\\/..\\/sentinel.txt",
  // control characters
  "../sentinel.txt\0.jpg",
  "\0",
  "a\r\nDELE ../sentinel.txt",
  "../sentinel.txt\r\n",
  "\n../sentinel.txt",
  "\t../sentinel.txt",
  "\x7f",
  // Unicode look-alikes
  "．．/．．/sentinel.txt",
  "‥/sentinel.txt",
  "..／..／sentinel.txt",
  "..∕..∕sentinel.txt",
  "..⁄sentinel.txt",
  "..\u200b/sentinel.txt",
  "\u202e../sentinel.txt",
  // trailing dots and spaces, dot variants
  "...",
  ".../sentinel.txt",
  "..../sentinel.txt",
  ".. /sentinel.txt",
  ". ./sentinel.txt",
  "../sentinel.txt.",
  "../sentinel.txt ",
  " ../sentinel.txt",
  // very long names
  "x".repeat(256),
  "a/".repeat(3000),
  "../".repeat(2000) + "sentinel.txt",
  // shell-ish and device names
  "~/sentinel.txt",
  "$HOME/sentinel.txt",
  "../*",
  "CON",
  "/proc/self/root/etc/passwd",
  // symbolic links on disk pointing outside the root
  "/link_abs_file",
  "/link_rel_file",
  "/link_abs_dir/secret.txt",
  "/link_rel_dir/secret.txt",
  "/pub/deep_rel_dir/secret.txt",
  "/link_root_parent/sentinel.txt",
  "/link_slash/etc/passwd",
  "/link_chain/secret.txt",
  "/dangling_out",
  "/link_abs_dir",
  "/link_rel_dir",
  "/link_root_parent",
  "/link_slash",
  "/link_abs_dir/newfile",
  "/link_abs_dir/../sentinel.txt",
  "/pub/deep_rel_dir/../../sentinel.txt",
  "/link_root_parent/outside_dir/secret.txt",
];

interface Fixture {
  outer: string;
  root: string;
  remove: () => Promise<void>;
}

/** `outer/{sentinel.txt, outside_dir/secret.txt, root/{pub/file.txt, links...}}` */
async function makeFixture(): Promise<Fixture> {
  const dir = await tempDir("ftpkit-jail-");
  const outer = dir.path;
  const root = join(outer, "root");
  await fs.writeFile(join(outer, "sentinel.txt"), SENTINEL);
  await fs.mkdir(join(outer, "outside_dir"));
  await fs.writeFile(join(outer, "outside_dir", "secret.txt"), SECRET);
  await fs.mkdir(join(root, "pub"), { recursive: true });
  await fs.writeFile(join(root, "pub", "file.txt"), "public");
  const links: [string, string][] = [
    ["link_abs_file", join(outer, "sentinel.txt")],
    ["link_rel_file", "../sentinel.txt"],
    ["link_abs_dir", join(outer, "outside_dir")],
    ["link_rel_dir", "../outside_dir"],
    ["pub/deep_rel_dir", "../../outside_dir"],
    ["link_root_parent", ".."],
    ["link_slash", "/"],
    ["link_chain", "link_abs_dir"],
    ["dangling_out", "../created_outside"],
    ["link_inside", "pub/file.txt"],
    ["link_inside_dir", "pub"],
  ];
  for (const [name, target] of links) await fs.symlink(target, join(root, name));
  return { outer, root, remove: dir.remove };
}

interface Snapshot {
  outerNames: string[];
  outsideNames: string[];
  sentinel: string;
  sentinelMtime: number;
  secret: string;
  secretMtime: number;
}

async function snapshot(outer: string): Promise<Snapshot> {
  const sentinelStat = await fs.stat(join(outer, "sentinel.txt"));
  const secretStat = await fs.stat(join(outer, "outside_dir", "secret.txt"));
  return {
    outerNames: (await fs.readdir(outer)).sort(),
    outsideNames: (await fs.readdir(join(outer, "outside_dir"))).sort(),
    sentinel: await fs.readFile(join(outer, "sentinel.txt"), "utf8"),
    sentinelMtime: sentinelStat.mtimeMs,
    secret: await fs.readFile(join(outer, "outside_dir", "secret.txt"), "utf8"),
    secretMtime: secretStat.mtimeMs,
  };
}

/** Run `op`; it may fail only with a `PathIOError`. Returns its result or undefined. */
async function attempt<T>(what: string, op: () => Promise<T>): Promise<T | undefined> {
  try {
    return await op();
  } catch (err) {
    assert.ok(err instanceof PathIOError, `${what}: not a PathIOError: ${err}`);
    return undefined;
  }
}

function assertNoLeak(what: string, text: string | undefined): void {
  if (text === undefined) return;
  assert.ok(!text.includes("SENTINEL") && !text.includes("SECRET"), `${what} leaked: ${text}`);
  assert.ok(!text.includes("root:x:0:0"), `${what} leaked /etc/passwd`);
}

/** Every operation a client could reach with `input`, through the server's mapping. */
async function tryEverything(
  io: PathIO,
  basePath: string,
  cwd: string,
  input: string,
): Promise<void> {
  let backend: string;
  try {
    backend = toBackendPath(basePath, resolveVirtualPath(cwd, input));
  } catch (err) {
    assert.ok(err instanceof PathIOError && err.kind === "invalid", `${err}`);
    return;
  }
  assert.ok(isWithin(basePath, backend), `${backend} outside ${basePath}`);
  const label = `${JSON.stringify(input.slice(0, 60))} → ${backend.slice(0, 80)}`;
  const readText = async () =>
    dec.decode(await readAll(fileReadable(await io.open(backend, "read"))));
  assertNoLeak(`read ${label}`, await attempt(`read ${label}`, readText));
  const stat = await attempt(`stat ${label}`, () => io.stat(backend));
  if (stat) {
    assert.notEqual(stat.size, SENTINEL.length, `stat ${label} saw the sentinel`);
    assert.notEqual(stat.size, SECRET.length, `stat ${label} saw the secret`);
  }
  await attempt(`exists ${label}`, () => io.exists(backend));
  const listed = await attempt(`list ${label}`, async () => {
    const names: string[] = [];
    for await (const name of io.list(backend)) names.push(name);
    return names;
  });
  if (listed) {
    for (const bad of ["sentinel.txt", "secret.txt", "outside_dir", "root"]) {
      assert.ok(!listed.includes(bad), `list ${label} shows ${bad}: ${listed}`);
    }
  }
  for (const mode of ["write", "append", "readwrite"] as const) {
    await attempt(`${mode} ${label}`, async () => {
      const handle = await io.open(backend, mode, { atomic: mode === "write" ? false : undefined });
      await handle.write(enc.encode("PWNED"));
      await handle.close();
    });
  }
  await attempt(`atomic write ${label}`, async () => {
    const handle = await io.open(backend, "write", { atomic: true });
    await handle.write(enc.encode("PWNED"));
    await handle.close();
  });
  await attempt(`mkdir ${label}`, () => io.mkdir(backend + "/made", { parents: true }));
  await attempt(`rename to ${label}`, async () => {
    const victim = toBackendPath(basePath, "/victim.txt");
    const handle = await io.open(victim, "write");
    await handle.write(enc.encode("PWNED"));
    await handle.close();
    await io.rename(victim, backend);
  });
  await attempt(`rename from ${label}`, () => io.rename(backend, toBackendPath(basePath, "/got")));
  assertNoLeak(
    `read moved ${label}`,
    await attempt("read moved", async () =>
      dec.decode(
        await readAll(fileReadable(await io.open(toBackendPath(basePath, "/got"), "read"))),
      )),
  );
  await attempt(`unlink ${label}`, () => io.unlink(backend));
  await attempt(`rmdir ${label}`, () => io.rmdir(backend));
}

describe("FsPathIO jail: escape attempts", () => {
  assert.ok(ATTEMPTS.length >= 50);
  for (const [index, input] of ATTEMPTS.entries()) {
    test(`attempt ${index + 1}: ${JSON.stringify(input.slice(0, 50))}`, async () => {
      const fixture = await makeFixture();
      try {
        const before = await snapshot(fixture.outer);
        const io = new FsPathIO({ root: fixture.root, timeoutMs: 10_000 });
        await tryEverything(io, "/", "/pub", input);
        await tryEverything(io, "/pub", "/", input);
        const after = await snapshot(fixture.outer);
        assert.deepEqual(after, before, "nothing beside the root changed");
      } finally {
        await fixture.remove();
      }
    });
  }
});

describe("FsPathIO jail: symbolic links", () => {
  test("links leading outside fail with kind permission and are not listed", async () => {
    const fixture = await makeFixture();
    try {
      const before = await snapshot(fixture.outer);
      const io = new FsPathIO({ root: fixture.root });
      for (const path of ["/link_abs_file", "/link_rel_file", "/link_chain", "/link_slash"]) {
        await rejectsWithKind(io.stat(path), "permission", path);
        await rejectsWithKind(io.open(path, "read"), "permission", path);
        await rejectsWithKind(io.open(path, "write"), "permission", path);
        await rejectsWithKind(io.open(path, "append"), "permission", path);
      }
      await rejectsWithKind(io.open("/dangling_out", "write", { atomic: false }), "permission");
      await rejectsWithKind(io.open("/dangling_out", "append"), "permission");
      await rejectsWithKind(io.stat("/dangling_out"), "not-found");
      for (const dir of ["/link_abs_dir", "/link_rel_dir", "/pub/deep_rel_dir"]) {
        await rejectsWithKind(io.open(`${dir}/secret.txt`, "read"), "permission", dir);
        await rejectsWithKind(io.open(`${dir}/new.txt`, "write"), "permission", dir);
        await rejectsWithKind(io.mkdir(`${dir}/sub`), "permission", dir);
        await rejectsWithKind(io.mkdir(`${dir}/a/b`, { parents: true }), "permission", dir);
        await rejectsWithKind(io.rename("/pub/file.txt", `${dir}/stolen`), "permission", dir);
        await rejectsWithKind(io.rename(`${dir}/secret.txt`, "/pub/got"), "permission", dir);
        await rejectsWithKind(io.unlink(`${dir}/secret.txt`), "permission", dir);
        const listing = io.list(dir);
        await rejectsWithKind(
          (async () => {
            for await (const _ of listing);
          })(),
          "permission",
          dir,
        );
      }
      const names: string[] = [];
      for await (const name of io.list("/")) names.push(name);
      assert.deepEqual(names.sort(), ["link_inside", "link_inside_dir", "pub"]);
      const pub: string[] = [];
      for await (const name of io.list("/pub")) pub.push(name);
      assert.deepEqual(pub, ["file.txt"]);
      assert.deepEqual(await snapshot(fixture.outer), before);
    } finally {
      await fixture.remove();
    }
  });

  test("links inside the root are followed", async () => {
    const fixture = await makeFixture();
    try {
      const io = new FsPathIO({ root: fixture.root });
      const read = async (path: string) =>
        dec.decode(await readAll(fileReadable(await io.open(path, "read"))));
      assert.equal(await read("/link_inside"), "public");
      assert.equal(await read("/link_inside_dir/file.txt"), "public");
      assert.equal((await io.stat("/link_inside")).type, "file");
      assert.equal((await io.stat("/link_inside_dir")).type, "dir");
      const handle = await io.open("/link_inside", "write");
      await handle.write(enc.encode("through the link"));
      await handle.close();
      assert.equal(
        await fs.readFile(join(fixture.root, "pub", "file.txt"), "utf8"),
        "through the link",
      );
      assert.ok((await fs.lstat(join(fixture.root, "link_inside"))).isSymbolicLink(), "link kept");
      await io.mkdir("/link_inside_dir/made");
      assert.ok((await fs.stat(join(fixture.root, "pub", "made"))).isDirectory());
    } finally {
      await fixture.remove();
    }
  });

  test("unlink and rename act on a link itself, never on its target", async () => {
    const fixture = await makeFixture();
    try {
      const before = await snapshot(fixture.outer);
      const io = new FsPathIO({ root: fixture.root });
      await io.rename("/link_abs_file", "/pub/renamed_link");
      await io.unlink("/pub/renamed_link");
      await io.unlink("/link_abs_dir");
      await rejectsWithKind(io.rmdir("/link_rel_dir"), "not-a-directory");
      assert.deepEqual(await snapshot(fixture.outer), before);
    } finally {
      await fixture.remove();
    }
  });

  test("a root that is itself a symbolic link works", async () => {
    const fixture = await makeFixture();
    try {
      const alias = join(fixture.outer, "alias");
      await fs.symlink(fixture.root, alias);
      const io = new FsPathIO({ root: alias });
      assert.equal((await io.stat("/pub/file.txt")).size, 6);
      await rejectsWithKind(io.stat("/link_abs_file"), "permission");
    } finally {
      await fixture.remove();
    }
  });

  test("temporary upload names are neither listed nor reachable", async () => {
    const fixture = await makeFixture();
    try {
      const io = new FsPathIO({ root: fixture.root });
      const handle = await io.open("/pub/up.bin", "write");
      await handle.write(enc.encode("in progress"));
      const onDisk = await fs.readdir(join(fixture.root, "pub"));
      const temp = onDisk.find((n) => n.startsWith(".ftpkit-tmp."));
      assert.ok(temp, `a temporary file exists: ${onDisk}`);
      const names: string[] = [];
      for await (const name of io.list("/pub")) names.push(name);
      assert.deepEqual(names, ["file.txt"]);
      await rejectsWithKind(io.open(`/pub/${temp}`, "read"), "not-found");
      await rejectsWithKind(io.unlink(`/pub/${temp}`), "not-found");
      await handle.close();
      assert.deepEqual((await fs.readdir(join(fixture.root, "pub"))).sort(), [
        "deep_rel_dir",
        "file.txt",
        "up.bin",
      ]);
    } finally {
      await fixture.remove();
    }
  });
});

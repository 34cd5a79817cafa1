import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FsPathIO } from "../../pathio/fs_path_io.ts";
import { Permission } from "../../server/permission.ts";
import { Server } from "../../server/server.ts";
import { User } from "../../server/user.ts";
import { tempDir } from "../_helpers.ts";
import { RawSession, runDataCommand } from "./_raw_session.ts";
import { printRows } from "./_summary.ts";

const SECRET = "SENTINEL-SECRET-7f3a";

/** Every file and directory below `dir` with its size, mtime and (for files) content. */
async function snapshot(dir: string, skip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (path: string) => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (full === skip) continue;
      const s = await stat(full).catch(() => null);
      if (entry.isSymbolicLink()) out.set(full, "link");
      else if (entry.isDirectory()) {
        out.set(full, `dir ${s?.mtimeMs}`);
        await walk(full);
      } else out.set(full, `file ${s?.mtimeMs} ${await readFile(full, "utf8")}`);
    }
  };
  await walk(dir);
  return out;
}

const ESCAPES = [
  "../outside.txt",
  "../../outside.txt",
  "/../outside.txt",
  "/../../../outside.txt",
  "..",
  "../outside_dir",
  "../outside_dir/secret.txt",
  "link_file",
  "link_dir",
  "link_dir/secret.txt",
  "link_dir/new.txt",
  "link_abs/secret.txt",
  "link_dir/../outside.txt",
  "inside/../../outside.txt",
  "%2e%2e/outside.txt",
  "..\\outside.txt",
  "..%2foutside.txt",
  "....//outside.txt",
  "./../outside.txt",
  "~/../outside.txt",
];

describe("escapes: nothing outside a user's root is read, listed, written or renamed", () => {
  let tmp: { path: string; remove: () => Promise<void> };
  let root: string;
  let server: Server;
  let port: number;
  const counts = { attempts: 0, escapes: 0, readOnlyAttempts: 0, readOnlyChanges: 0 };

  before(async () => {
    tmp = await tempDir("ftpkit-escape-");
    root = join(tmp.path, "root");
    await mkdir(join(root, "inside"), { recursive: true });
    await mkdir(join(root, "ro", "sub"), { recursive: true });
    await writeFile(join(root, "ok.txt"), "ok");
    await writeFile(join(root, "ro", "f.txt"), "read only");
    await mkdir(join(tmp.path, "outside_dir"));
    await writeFile(join(tmp.path, "outside.txt"), SECRET);
    await writeFile(join(tmp.path, "outside_dir", "secret.txt"), SECRET);
    await symlink("../outside.txt", join(root, "link_file"));
    await symlink("../outside_dir", join(root, "link_dir"));
    await symlink(join(tmp.path, "outside_dir"), join(root, "link_abs"));
    server = new Server({
      // One backend per user, rooted at the user's directory (the recommended set-up).
      pathIO: () => new FsPathIO({ root }),
      users: [
        new User({
          login: "u",
          password: "p",
          permissions: [new Permission("/"), new Permission("/ro", { writable: false })],
        }),
      ],
      waitFutureTimeout: 2000,
    });
    port = (await server.start("127.0.0.1", 0)).port;
  });

  after(async () => {
    await server?.close();
    printRows("escapes", [
      ["escape attempts", counts.attempts],
      ["escapes", counts.escapes],
      ["read-only write attempts", counts.readOnlyAttempts],
      ["read-only changes", counts.readOnlyChanges],
    ]);
    await tmp?.remove();
  });

  test("traversal, symlink and odd names through every path-taking command", async () => {
    const before = await snapshot(tmp.path, root);
    const session = await RawSession.open(port);
    try {
      await session.login("u", "p");
      const leaked = (text: string) => text.includes(SECRET);
      // Positive controls: the probes do see what is inside the root.
      const control = await runDataCommand(session, "RETR ok.txt");
      assert.equal(new TextDecoder().decode(control.received), "ok");
      assert.equal((await session.command("SIZE ok.txt")).code, 213);
      for (const path of ESCAPES) {
        for (const cmd of ["CWD", "SIZE", "MDTM", "MLST", "HASH", "DELE", "RMD", "MKD", "STAT"]) {
          counts.attempts++;
          const reply = await session.command(`${cmd} ${path}`);
          const text = reply.lines.join("\n");
          const pwd = await session.command("PWD");
          // Leaving the root by CWD shows up as a working directory outside "/".
          if (
            leaked(text) ||
            (cmd === "CWD" && reply.code === 250 && !/^257 "\/[^"]*"/.test(pwd.lines[0]))
          ) {
            counts.escapes++;
          }
          if (cmd === "CWD" && reply.code === 250) {
            // A followed link would let later relative paths escape: check its contents.
            const listing = await runDataCommand(session, "NLST");
            if (new TextDecoder().decode(listing.received).includes("secret.txt")) counts.escapes++;
            await session.command("CWD /");
          }
          if (cmd === "HASH" && reply.code === 213 && /secret|outside|link/.test(path)) {
            counts.escapes++;
          }
          if ((cmd === "SIZE" || cmd === "MDTM") && reply.code === 213) counts.escapes++;
        }
        for (const cmd of ["RETR", "LIST", "MLSD", "NLST"]) {
          counts.attempts++;
          const result = await runDataCommand(session, `${cmd} ${path}`);
          const data = new TextDecoder().decode(result.received);
          if (leaked(data) || /secret\.txt/.test(data)) counts.escapes++;
        }
        for (const cmd of ["STOR", "APPE"]) {
          counts.attempts++;
          await runDataCommand(session, `${cmd} ${path}`, new TextEncoder().encode("PWNED"));
        }
        counts.attempts += 2;
        const rnfr = await session.command(`RNFR ${path}`);
        if (rnfr.code === 350) await session.command("RNTO stolen.txt");
        const rnfr2 = await session.command("RNFR ok.txt");
        assert.equal(rnfr2.code, 350);
        const rnto = await session.command(`RNTO ${path}`);
        if (rnto.code === 250) {
          await session.command(`RNFR ${path}`).then(() => session.command("RNTO ok.txt"));
        }
      }
      await session.command("QUIT");
    } finally {
      session.close();
    }
    const afterSnapshot = await snapshot(tmp.path, root);
    const changed = [...new Set([...before.keys(), ...afterSnapshot.keys()])]
      .filter((k) => before.get(k) !== afterSnapshot.get(k));
    counts.escapes += changed.length;
    assert.deepEqual(changed, [], "entries outside the root changed or appeared");
    assert.equal(counts.escapes, 0);
    assert.equal(await readFile(join(tmp.path, "outside.txt"), "utf8"), SECRET);
  });

  test("every write command on a read-only path fails with 550 and changes nothing", async () => {
    const ro = join(root, "ro");
    const before = await snapshot(ro, "");
    const session = await RawSession.open(port);
    try {
      await session.login("u", "p");
      const expect550 = async (line: string) => {
        counts.readOnlyAttempts++;
        const reply = await session.command(line);
        if (reply.code !== 550) counts.readOnlyChanges++;
        assert.equal(reply.code, 550, `${line} -> ${reply.lines[0]}`);
      };
      for (const path of ["/ro/f.txt", "/ro/new.txt", "ro/sub/x", "/ro/../ro/f.txt", "/ro"]) {
        for (const cmd of ["STOR", "APPE", "STOU"]) {
          counts.readOnlyAttempts++;
          const r = await runDataCommand(session, `${cmd} ${path}`, new TextEncoder().encode("X"));
          if (r.replies[0].code !== 550) counts.readOnlyChanges++;
          assert.equal(r.replies[0].code, 550, `${cmd} ${path} -> ${r.replies[0].lines[0]}`);
        }
        await expect550(`DELE ${path}`);
        await expect550(`MKD ${path}/d`);
        await expect550(`RMD ${path === "/ro" ? "/ro/sub" : path}`);
        await expect550(`RNFR ${path}`);
        assert.equal((await session.command("RNFR /ok.txt")).code, 350);
        await expect550(`RNTO ${path}`);
      }
    } finally {
      session.close();
    }
    assert.deepEqual(await snapshot(ro, ""), before);
  });
});

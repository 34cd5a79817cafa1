import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseServeArguments } from "../../server/cli_serve.ts";
import { ControlLineReader } from "../../server/control_reader.ts";
import { formatFacts, formatFtpTime, formatListLine } from "../../server/listing.ts";
import { passwordsMatch } from "../../server/password.ts";
import { Permission, permissionFor } from "../../server/permission.ts";
import { formatReply, quotePath } from "../../server/reply.ts";
import { User } from "../../server/user.ts";
import { MemoryUserManager } from "../../server/user_manager.ts";
import { LineTooLongError } from "../../streams/errors.ts";
import { streamOf } from "../_helpers.ts";

const dec = new TextDecoder();
const stat = (over: object = {}) => ({
  type: "file" as const,
  size: 1234,
  mtime: Date.UTC(2026, 10, 2, 13, 5),
  ctime: 0,
  nlink: 1,
  mode: 0o644,
  ...over,
});

describe("server building blocks", () => {
  test("replies: single and multi-line, path quoting", () => {
    assert.equal(formatReply(200, "ok"), "200 ok\r\n");
    assert.equal(formatReply(211, ["a", "b", "c"]), "211-a\r\n b\r\n211 c\r\n");
    assert.equal(quotePath('/a "b"'), '"/a ""b"""');
  });

  test("LIST lines: recent and old dates, directories", () => {
    const now = Date.UTC(2026, 10, 21);
    assert.equal(
      formatListLine("a b.txt", stat(), now),
      "-rw-r--r--   1 ftp ftp         1234 Nov  2 13:05 a b.txt",
    );
    assert.equal(
      formatListLine("old", stat({ mtime: Date.UTC(2020, 0, 15) }), now),
      "-rw-r--r--   1 ftp ftp         1234 Jan 15  2020 old",
    );
    assert.match(
      formatListLine("d", stat({ type: "dir", mode: 0o755, size: 0 }), now),
      /^drwxr-xr-x /,
    );
  });

  test("MLSD facts and MDTM time", () => {
    assert.equal(formatFtpTime(Date.UTC(2026, 0, 2, 3, 4, 5)), "20260102030405");
    const facts = formatFacts("f", stat(), {
      facts: ["type", "size", "modify", "perm", "unix.mode"],
      readable: true,
      writable: false,
    });
    assert.equal(facts, "type=file;size=1234;modify=20261102130500;perm=r;unix.mode=0644; f");
    const dir = formatFacts("d", stat({ type: "dir", mode: 0o755 }), {
      facts: ["type", "perm"],
      readable: true,
      writable: true,
    });
    assert.equal(dir, "type=dir;perm=elcmpfd; d");
  });

  test("permissions: longest covering path wins, nothing covers means no rights", () => {
    const list = [new Permission("/", { writable: false }), new Permission("/a/b")];
    assert.equal(permissionFor(list, "/a/b/c").writable, true);
    assert.equal(permissionFor(list, "/a/bc").writable, false);
    assert.equal(permissionFor([new Permission("/x")], "/y").readable, false);
  });

  test("password comparison and MemoryUserManager", async () => {
    assert.equal(await passwordsMatch("secret", "secret"), true);
    assert.equal(await passwordsMatch("secret", "secreT"), false);
    assert.equal(await passwordsMatch("", "x"), false);
    const users = new MemoryUserManager([new User({ login: "a", password: "b" })]);
    const found = await users.getUser("a");
    assert.equal(found.status, "password-required");
    assert.equal((await users.getUser("z")).status, "refused");
    assert.ok("user" in found);
    assert.equal(await users.authenticate(found.user, "b"), true);
    assert.equal(await users.authenticate(found.user, "c"), false);
  });

  test("control lines: CRLF and LF, Telnet prefix, urgent ABOR, length limit", async () => {
    const r = new ControlLineReader(
      streamOf(
        "NO",
        "OP\r\nUSER x\n",
        new Uint8Array([0xff, 0xf4, 0xff, 0xf2, 0x41, 0x42]),
        "OR\r\n",
      ),
      64,
    );
    assert.equal(dec.decode((await r.readLine())!), "NOOP");
    assert.equal(dec.decode((await r.readLine())!), "USER x");
    assert.equal(dec.decode((await r.readLine())!), "ABOR");
    assert.equal(await r.readLine(), null);
    const urgent = new ControlLineReader(
      streamOf(new Uint8Array([0x41, 0x42, 0x4f, 0x52, 0x0d])),
      64,
    );
    assert.equal(dec.decode((await urgent.readLine())!), "ABOR");
    const long = new ControlLineReader(streamOf("X".repeat(100), "Y".repeat(100)), 64);
    await assert.rejects(long.readLine(), LineTooLongError);
  });

  test("serve arguments", () => {
    const a = parseServeArguments([
      "--memory",
      "--writable",
      "--port=0",
      "--pasv-ports",
      "30000-30002",
    ]);
    assert.equal(a.memory, true);
    assert.equal(a.writable, true);
    assert.equal(a.port, 0);
    assert.equal(a.host, "127.0.0.1");
    assert.deepEqual(a.pasvPorts, [30000, 30001, 30002]);
    assert.equal(parseServeArguments(["--family", "ipv6"]).host, "::1");
    assert.equal(parseServeArguments([], "/srv").directory, "/srv");
    assert.throws(() => parseServeArguments(["--nope"]), /Unknown option/);
    assert.throws(() => parseServeArguments(["--user", "x"]), /go together/);
    assert.throws(() => parseServeArguments(["--implicit-tls"]), /need --tls-cert/);
    assert.throws(() => parseServeArguments(["--pasv-ports", "10-5"]), /Bad port range/);
  });
});

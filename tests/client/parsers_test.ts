/**
 * The parsers against real lines: captured from vsftpd, pyftpdlib and
 * ftp-srv on this machine, and quoted from servers' users (ProFTPD, Pure-FTPd,
 * IIS, FileZilla Server, DOS-style servers) where noted.
 */

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodePathFromWire,
  encodePathForWire,
  formatEprtArgument,
  formatPortArgument,
  parseEpsvReply,
  parseFtpUrl,
  parseListLine,
  parseMlsxLine,
  parseMlsxTime,
  parsePasvReply,
  parseQuotedPath,
  parseUnixMode,
  ReplyParser,
  replyText,
  UnsafeArgumentError,
} from "../../client/mod.ts";
import { checkArgument } from "../../client/escape.ts";
import { isListNoiseLine } from "../../client/parse_list.ts";
import { ProtocolError } from "../../streams/errors.ts";

const NOW = new Date(Date.UTC(2026, 10, 21, 13, 0));
const utc = (y: number, m: number, d: number, h = 0, min = 0) =>
  new Date(Date.UTC(y, m - 1, d, h, min));

interface Row {
  source: string;
  line: string;
  name: string;
  type: "file" | "dir" | "symlink";
  size?: number;
  date?: Date;
  mode?: number;
  link?: string;
}

const LIST_ROWS: Row[] = [
  // vsftpd 3.0.3, captured here (numeric ids, 4-space padding).
  {
    source: "vsftpd",
    line: "-rw-r--r--    1 0        0               5 Nov 21 12:30 a b.txt",
    name: "a b.txt",
    type: "file",
    size: 5,
    date: utc(2026, 11, 21, 12, 30),
    mode: 0o644,
  },
  {
    source: "vsftpd",
    line: "lrwxrwxrwx    1 0        0               7 Nov 21 12:30 link -> a b.txt",
    name: "link",
    type: "symlink",
    link: "a b.txt",
    mode: 0o777,
  },
  {
    source: "vsftpd",
    line: "-rw-r--r--    1 0        0               0 Mar 05  2023 old.bin",
    name: "old.bin",
    type: "file",
    size: 0,
    date: utc(2023, 3, 5),
  },
  {
    source: "vsftpd",
    line: "drwxr-xr-x    2 0        0            4096 Nov 21 12:30 sub",
    name: "sub",
    type: "dir",
    mode: 0o755,
  },
  // pyftpdlib 1.5.7, captured here.
  {
    source: "pyftpdlib",
    line: "-rw-r--r--   1 root     root            5 Nov 21 12:29 a.txt",
    name: "a.txt",
    type: "file",
    size: 5,
  },
  // ftp-srv 4.6.3, captured here (numeric ids, single spaces).
  {
    source: "ftp-srv",
    line: "-rw-r--r-- 1 1 1            5 Nov 21 12:30 a b.txt",
    name: "a b.txt",
    type: "file",
    size: 5,
  },
  {
    source: "ftp-srv",
    line: "drwxr-xr-x 1 1 1         4096 Nov 21 12:30 sub",
    name: "sub",
    type: "dir",
  },
  // ProFTPD 1.3.6c, quoted in proftpd/proftpd#1495.
  {
    source: "ProFTPD",
    line: "-rwxrwxrwx   1 homologftp 1051            0 Aug  4 15:43 testfile",
    name: "testfile",
    type: "file",
    size: 0,
    date: utc(2026, 8, 4, 15, 43),
    mode: 0o777,
  },
  {
    source: "ProFTPD (setgid dir)",
    line: "drwxrws---   5 homologftp 1051         4096 Aug  4 15:54 reports",
    name: "reports",
    type: "dir",
    mode: 0o2770,
  },
  // Pure-FTPd: numeric owner and group, wide columns.
  {
    source: "Pure-FTPd",
    line: "-rw-r--r--    1 1000       1000         69797888 Jun 23  2020 linux.iso",
    name: "linux.iso",
    type: "file",
    size: 69797888,
    date: utc(2020, 6, 23),
  },
  // FileZilla Server: "ftp ftp" owner and group, size 0 for directories.
  {
    source: "FileZilla Server",
    line: "drwxr-xr-x 1 ftp ftp              0 Mar 12  2019 folder",
    name: "folder",
    type: "dir",
    date: utc(2019, 3, 12),
  },
  {
    source: "FileZilla Server",
    line: "-rw-r--r-- 1 ftp ftp         462848 Apr 05  2002 test1.dll",
    name: "test1.dll",
    type: "file",
    size: 462848,
  },
  // VitaShell (libftpvita), quoted in xerpi/libftpvita#25: a colon in the name.
  {
    source: "VitaShell",
    line: "drwxr-xr-x 1 vita vita 131072 Jan 1  2000 ux0:",
    name: "ux0:",
    type: "dir",
    size: 131072,
    date: utc(2000, 1, 1),
  },
  // IIS, MS-DOS style (test.rebex.net, quoted in ikod/dlang-requests#90).
  {
    source: "IIS",
    line: "10-27-15  03:46PM       <DIR>          pub",
    name: "pub",
    type: "dir",
    date: utc(2015, 10, 27, 15, 46),
  },
  {
    source: "IIS",
    line: "04-08-14  03:09PM                  403 readme.txt",
    name: "readme.txt",
    type: "file",
    size: 403,
    date: utc(2014, 4, 8, 15, 9),
  },
  // IIS with FtpDirBrowseShowLongDate (four-digit years), 12 AM edge.
  {
    source: "IIS long date",
    line: "02-27-2018  12:05AM       <DIR>          aspnet_client",
    name: "aspnet_client",
    type: "dir",
    date: utc(2018, 2, 27, 0, 5),
  },
  // DOS-style Windows servers (wodFTPD "fmtWindows"): single spaces.
  {
    source: "Windows DOS-style",
    line: "04-05-02 02:18PM 462848 test1.dll",
    name: "test1.dll",
    type: "file",
    size: 462848,
    date: utc(2002, 4, 5, 14, 18),
  },
  {
    source: "Windows DOS-style",
    line: "06-29-01 05:38PM <DIR> test4",
    name: "test4",
    type: "dir",
  },
  // A 24-hour Windows listing with a name that has spaces.
  {
    source: "Windows 24h",
    line: "11-21-2026  13:05       <DIR>          My Documents",
    name: "My Documents",
    type: "dir",
    date: utc(2026, 11, 21, 13, 5),
  },
];

describe("LIST line parsers", () => {
  for (const row of LIST_ROWS) {
    test(`${row.source}: ${row.line}`, () => {
      const info = parseListLine(row.line, NOW);
      assert.ok(info, "parsed");
      assert.equal(info.name, row.name);
      assert.equal(info.type, row.type);
      if (row.size !== undefined) assert.equal(info.size, row.size);
      if (row.date) assert.equal(info.modifiedAt?.toISOString(), row.date.toISOString());
      if (row.mode !== undefined) assert.equal(info.mode, row.mode);
      if (row.link !== undefined) assert.equal(info.linkTarget, row.link);
    });
  }

  test("year inference: a date ahead of now belongs to last year", () => {
    const jan2 = new Date(Date.UTC(2026, 0, 2, 10));
    const info = parseListLine("-rw-r--r-- 1 a b 1 Dec 31 23:00 x", jan2);
    assert.equal(info?.modifiedAt?.toISOString(), utc(2025, 12, 31, 23).toISOString());
    const today = parseListLine("-rw-r--r-- 1 a b 1 Jan  2 09:00 x", jan2);
    assert.equal(today?.modifiedAt?.getUTCFullYear(), 2026);
  });

  test("noise and garbage", () => {
    assert.equal(parseListLine("total 12", NOW), null);
    assert.equal(parseListLine("this is not a listing", NOW), null);
    assert.equal(parseListLine("-rw-r--r-- 1 a b 1 Foo 31 23:00 x", NOW), null);
  });

  test("summary and blank lines are noise, entries of any format are not", () => {
    for (const line of ["total 12", "Total 3", "\ttotal 4", "  total 0", "", " ", "\t", "\u00a0"]) {
      assert.equal(isListNoiseLine(line), true, JSON.stringify(line));
    }
    const entries = [
      "-rw-r--r--    1 0        0               0 Nov 21 15:30 f_00000",
      "drwxr-xr-x 2 ftp ftp 4096 Jan  5  2024 total",
      "10-27-15  03:46PM       <DIR>          pub",
      "type=file;size=1; total 2",
      "totally 5",
    ];
    for (const line of entries) assert.equal(isListNoiseLine(line), false, line);
  });
});

const MLSX_ROWS: { source: string; line: string; name: string; type: string; size?: number }[] = [
  // pyftpdlib 1.5.7, captured here.
  {
    source: "pyftpdlib",
    line: "modify=20230305100000;perm=r;size=0;type=file;unique=fe00g20c4ce; old.bin",
    name: "old.bin",
    type: "file",
    size: 0,
  },
  {
    source: "pyftpdlib",
    line: "modify=20261121122951;perm=el;size=4096;type=dir;unique=fe00g20c4ca; sub",
    name: "sub",
    type: "dir",
  },
  // ProFTPD mod_facts, quoted in lavv17/lftp#232.
  {
    source: "ProFTPD",
    line:
      "modify=20160506140233;perm=adfrw;size=19673;type=file;UNIX.group=10267;UNIX.mode=0644; update.php",
    name: "update.php",
    type: "file",
    size: 19673,
  },
  {
    source: "ProFTPD cdir",
    line: "modify=20160506153131;perm=flcdmpe;type=cdir;UNIX.group=10267;UNIX.mode=0755; .",
    name: ".",
    type: "dir",
  },
  // Pure-FTPd MLST fact lines (leading space), quoted in troglobit/uftpd#36.
  {
    source: "Pure-FTPd",
    line:
      " type=dir;sizd=4096;modify=20210810085151;UNIX.mode=0775;UNIX.uid=1000;UNIX.gid=1000;unique=805g4207af; zz",
    name: "zz",
    type: "dir",
    size: 4096,
  },
  {
    source: "Pure-FTPd",
    line:
      " type=file;size=69797888;modify=20200623060543;UNIX.mode=0664;UNIX.uid=1000;UNIX.gid=1000;unique=805g4011d3; linux.iso",
    name: "linux.iso",
    type: "file",
    size: 69797888,
  },
  // RFC 3659 §7.7.4 example, a name with spaces, and a symlink.
  {
    source: "RFC 3659",
    line: "type=file;modify=19990419052351;perm=r;size=54264; URLMETHO.O",
    name: "URLMETHO.O",
    type: "file",
    size: 54264,
  },
  {
    source: "spaces",
    line: "type=file;size=1; a name  with spaces ",
    name: "a name  with spaces ",
    type: "file",
  },
  {
    source: "symlink",
    line: "type=OS.unix=slink:/etc/hosts;size=10; hosts",
    name: "hosts",
    type: "symlink",
  },
];

describe("MLSx parser", () => {
  for (const row of MLSX_ROWS) {
    test(`${row.source}: ${row.line.trim().slice(0, 60)}`, () => {
      const info = parseMlsxLine(row.line);
      assert.ok(info);
      assert.equal(info.name, row.name);
      assert.equal(info.type, row.type);
      if (row.size !== undefined) assert.equal(info.size, row.size);
    });
  }

  test("facts, mode, owner, time", () => {
    const info = parseMlsxLine(
      "type=file;size=5;modify=20200623060543.250;UNIX.mode=0664;UNIX.uid=1000;UNIX.gid=100; f",
    )!;
    assert.equal(info.mode, 0o664);
    assert.equal(info.owner, "1000");
    assert.equal(info.group, "100");
    assert.equal(info.modifiedAt?.toISOString(), "2020-06-23T06:05:43.250Z");
    assert.equal(info.facts["unix.mode"], "0664");
    assert.equal(parseMlsxLine("no facts here"), null);
    assert.throws(() => parseMlsxTime("2020-06-23"), ProtocolError);
  });
});

describe("reply parsers", () => {
  test("PASV, with and without parentheses", () => {
    assert.deepEqual(parsePasvReply("227 Entering Passive Mode (192,168,1,2,19,137)."), {
      host: "192.168.1.2",
      port: 5001,
    });
    assert.deepEqual(parsePasvReply("227 PASV OK 127,0,0,1,4,24"), {
      host: "127.0.0.1",
      port: 1048,
    });
    assert.throws(() => parsePasvReply("227 Entering Passive Mode (1,2,3,4,5)"), ProtocolError);
    assert.throws(() => parsePasvReply("227 (300,1,1,1,1,1)"), ProtocolError);
  });

  test("EPSV with any delimiter", () => {
    assert.equal(parseEpsvReply("229 Entering Extended Passive Mode (|||6446|)").port, 6446);
    assert.equal(parseEpsvReply("229 EPSV OK (!!!1024!)").port, 1024);
    assert.throws(
      () => parseEpsvReply("229 Entering Extended Passive Mode (|||0|)"),
      ProtocolError,
    );
    assert.throws(() => parseEpsvReply("229 (|||99999|)"), ProtocolError);
  });

  test("PORT and EPRT arguments", () => {
    assert.equal(formatPortArgument("127.0.0.1", 5001), "127,0,0,1,19,137");
    assert.equal(formatEprtArgument("::1", 5001), "|2|::1|5001|");
    assert.equal(formatEprtArgument("10.0.0.1", 21), "|1|10.0.0.1|21|");
  });

  test("quoted paths with doubled quotes and NUL for LF", () => {
    assert.equal(parseQuotedPath('257 "/" is the current directory'), "/");
    assert.equal(parseQuotedPath('257 "/say ""hi""" created'), '/say "hi"');
    assert.equal(parseQuotedPath('257 "/odd\0name"'), "/odd\nname");
    assert.throws(() => parseQuotedPath("257 no quotes"), ProtocolError);
    assert.throws(() => parseQuotedPath('257 "/unterminated'), ProtocolError);
  });

  test("unix mode strings", () => {
    assert.equal(parseUnixMode("rwxr-xr-x"), 0o755);
    assert.equal(parseUnixMode("-rw-r--r--"), 0o644);
    assert.equal(parseUnixMode("rwsr-sr-t"), 0o7755);
    assert.equal(parseUnixMode("rwSr-Sr-T"), 0o7644);
    assert.throws(() => parseUnixMode("rwxr-xr-"), ProtocolError);
    assert.throws(() => parseUnixMode("abcdefghi"), ProtocolError);
  });

  test("multi-line replies (RFC 959 §4.2)", () => {
    const parser = new ReplyParser();
    assert.equal(parser.push("211-Features:"), null);
    assert.equal(parser.push(" MLST type*;size*;"), null);
    assert.equal(parser.push("211-not the end (dash)"), null);
    assert.equal(parser.push("123 a line that starts with another code"), null);
    const reply = parser.push("211 End");
    assert.equal(reply?.code.value, "211");
    assert.equal(reply?.lines.length, 5);
    assert.equal(replyText(parser.push("200 fine")!), "fine");
    assert.equal(parser.push("220")?.code.value, "220");
    assert.throws(() => parser.push("hello"), ProtocolError);
    assert.throws(() => parser.push("99 short"), ProtocolError);
  });

  test("a multi-line reply over the limit is refused", () => {
    const parser = new ReplyParser({ maxLines: 10 });
    parser.push("211-start");
    assert.throws(() => {
      for (let i = 0; i < 20; i++) parser.push(" line");
    }, ProtocolError);
  });
});

describe("arguments and URLs", () => {
  test("CR/LF/NUL are refused, LF in paths becomes NUL", () => {
    assert.throws(() => checkArgument("USER a\r\nDELE x"), UnsafeArgumentError);
    assert.throws(() => checkArgument("a\nb"), UnsafeArgumentError);
    assert.throws(() => checkArgument("a\0b"), UnsafeArgumentError);
    assert.equal(encodePathForWire("/odd\nname"), "/odd\0name");
    assert.throws(() => encodePathForWire("/a\rb"), UnsafeArgumentError);
    assert.throws(() => encodePathForWire("/a\0b"), UnsafeArgumentError);
    assert.equal(decodePathFromWire(encodePathForWire("/x\ny")), "/x\ny");
  });

  test("ftp:// and ftps:// URLs", () => {
    assert.deepEqual(parseFtpUrl("ftp://bob:s%40cret@[::1]:2121/pub"), {
      host: "::1",
      port: 2121,
      user: "bob",
      password: "s@cret",
      path: "/pub",
      implicitTls: false,
    });
    const ftps = parseFtpUrl("ftps://example.com");
    assert.equal(ftps.port, 990);
    assert.equal(ftps.implicitTls, true);
    assert.equal(ftps.user, "anonymous");
    assert.throws(() => parseFtpUrl("http://example.com/"), TypeError);
  });
});

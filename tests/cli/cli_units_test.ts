import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CliUsageError,
  parseByteCount,
  parseCliArguments,
  parseIntegerOption,
} from "../../client/cli_arguments.ts";
import { parseFtpTarget } from "../../client/cli_connection.ts";
import {
  CliConnectionError,
  describeCliError,
  EXIT_CONNECTION_ERROR,
  EXIT_INTERNAL_ERROR,
  EXIT_TRANSFER_ERROR,
  EXIT_USAGE_ERROR,
  exitCodeForError,
} from "../../client/cli_exit_codes.ts";
import { formatByteSize, formatDuration } from "../../client/cli_format.ts";
import { isMirrorEntryUnchanged, planMirror } from "../../client/cli_mirror_plan.ts";
import { moveDestinationPath } from "../../client/cli_mv.ts";
import { CliProgressDisplay } from "../../client/cli_progress.ts";
import type { TransferProgress } from "../../client/progress.ts";
import { PathIOError, StatusCodeError } from "../../streams/errors.ts";

describe("parseCliArguments", () => {
  const specs = [
    { name: "recursive", short: "r", help: "" },
    { name: "parallel", short: "P", takesValue: true, help: "" },
    { name: "quiet", short: "q", help: "" },
  ];
  test("long, short, clustered and attached forms; -- and - stay positional", () => {
    const parsed = parseCliArguments(
      ["-rqP4", "a", "--parallel=8", "-", "--", "--quiet"],
      specs,
    );
    assert.equal(parsed.options.get("parallel"), "8");
    assert.equal(parsed.options.get("recursive"), true);
    assert.equal(parsed.options.get("quiet"), true);
    assert.deepEqual(parsed.positionals, ["a", "-", "--quiet"]);
  });
  test("unknown options and missing values are usage errors", () => {
    assert.throws(() => parseCliArguments(["--nope"], specs), CliUsageError);
    assert.throws(() => parseCliArguments(["-x"], specs), CliUsageError);
    assert.throws(() => parseCliArguments(["--parallel"], specs), CliUsageError);
    assert.throws(() => parseCliArguments(["--quiet=1"], specs), CliUsageError);
  });
  test("byte counts and bounded integers", () => {
    assert.equal(parseByteCount("512"), 512);
    assert.equal(parseByteCount("64k"), 65536);
    assert.equal(parseByteCount("1.5M"), 1572864);
    assert.equal(parseByteCount("2GiB"), 2 * 1024 ** 3);
    assert.throws(() => parseByteCount("fast"), CliUsageError);
    assert.throws(() => parseByteCount("0"), CliUsageError);
    assert.equal(parseIntegerOption("parallel", "4", 1, 16), 4);
    assert.throws(() => parseIntegerOption("parallel", "17", 1, 16), CliUsageError);
    assert.throws(() => parseIntegerOption("parallel", "1e1", 1, 16), CliUsageError);
  });
});

describe("URLs and paths", () => {
  test("parseFtpTarget keeps the origin apart from the path", () => {
    const t = parseFtpTarget("ftps://bob:s%40cret@[::1]:2121/pub/dir/");
    assert.equal(t.host, "::1");
    assert.equal(t.password, "s@cret");
    assert.equal(t.implicitTls, true);
    assert.equal(t.trailingSlash, true);
    assert.equal(t.origin, "ftps://bob@::1:2121");
    assert.throws(() => parseFtpTarget("/local/path"), CliUsageError);
    assert.throws(() => parseFtpTarget("ftp://"), CliUsageError);
  });
  test("moveDestinationPath: relative to the source's directory, absolute, URL, into a directory", () => {
    assert.equal(moveDestinationPath("/a/b.txt", "c.txt"), "/a/c.txt");
    assert.equal(moveDestinationPath("/a/b.txt", "../c.txt"), "/c.txt");
    assert.equal(moveDestinationPath("/a/b.txt", "/x/y.txt"), "/x/y.txt");
    assert.equal(moveDestinationPath("/a/b.txt", "sub/"), "/a/sub/b.txt");
    assert.equal(moveDestinationPath("/a/b.txt", "ftp://h/z/"), "/z/b.txt");
  });
});

describe("exit codes", () => {
  test("each error class maps to its code", () => {
    assert.equal(exitCodeForError(new CliUsageError("x")), EXIT_USAGE_ERROR);
    assert.equal(exitCodeForError(new CliConnectionError("x")), EXIT_CONNECTION_ERROR);
    assert.equal(
      exitCodeForError(new StatusCodeError(["2xx"], "550", ["550 no"])),
      EXIT_TRANSFER_ERROR,
    );
    assert.equal(
      exitCodeForError(new PathIOError("x", { kind: "not-found" })),
      EXIT_TRANSFER_ERROR,
    );
    const enoent = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
    assert.equal(exitCodeForError(enoent), EXIT_TRANSFER_ERROR);
    assert.equal(exitCodeForError(new TypeError("bug")), EXIT_INTERNAL_ERROR);
  });
  test("describeCliError follows causes without repeating them", () => {
    const inner = new Error("Connection refused");
    const middle = new Error("connect to h:1: Connection refused", { cause: inner });
    const outer = new CliConnectionError("Cannot connect to h:1", { cause: middle });
    assert.equal(
      describeCliError(outer),
      "Cannot connect to h:1: connect to h:1: Connection refused",
    );
  });
});

describe("mirror plan", () => {
  const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  test("downloads compare size and time; uploads need the server's copy to be newer", () => {
    const a = { type: "file" as const, size: 10, modifiedAt: t(10) };
    assert.ok(isMirrorEntryUnchanged(a, { ...a }, "download"));
    assert.ok(!isMirrorEntryUnchanged(a, { ...a, size: 11 }, "download"));
    assert.ok(!isMirrorEntryUnchanged(a, { ...a, modifiedAt: t(20) }, "download"));
    assert.ok(isMirrorEntryUnchanged(a, { ...a, modifiedAt: t(20) }, "upload"));
    assert.ok(!isMirrorEntryUnchanged(a, { ...a, modifiedAt: t(5) }, "upload"));
    // A LIST time (whole minutes) covers a local time later in the same minute.
    assert.ok(
      isMirrorEntryUnchanged({ ...a, modifiedAt: t(70) }, { ...a, modifiedAt: t(60) }, "upload"),
    );
    assert.ok(
      !isMirrorEntryUnchanged({ ...a, modifiedAt: t(70) }, { ...a, modifiedAt: t(0) }, "upload"),
    );
    assert.ok(isMirrorEntryUnchanged({ ...a, modifiedAt: undefined }, a, "upload"));
    assert.ok(!isMirrorEntryUnchanged(a, undefined, "download"));
  });
  test("planMirror lists directories, copies, unchanged files and extras deepest first", () => {
    const source = new Map([
      ["d", { type: "dir" as const, size: 0 }],
      ["d/x", { type: "file" as const, size: 1, modifiedAt: t(1) }],
      ["y", { type: "file" as const, size: 2, modifiedAt: t(1) }],
    ]);
    const destination = new Map([
      ["y", { type: "file" as const, size: 2, modifiedAt: t(1) }],
      ["old", { type: "dir" as const, size: 0 }],
      ["old/z", { type: "file" as const, size: 3 }],
    ]);
    const plan = planMirror(source, destination, "download");
    assert.deepEqual(plan.directories, ["d"]);
    assert.deepEqual(plan.copy, ["d/x"]);
    assert.deepEqual(plan.unchanged, ["y"]);
    assert.deepEqual(plan.extra, ["old/z", "old"]);
  });
});

describe("CliProgressDisplay", () => {
  const report = (bytes: number, done = false): TransferProgress => ({
    direction: "download",
    path: "/f.bin",
    bytes,
    total: 1000,
    bytesPerSecond: 100,
    done,
  });

  test("on a terminal: one redrawn line with percentage, bar, rate and ETA", () => {
    let clock = 0;
    let out = "";
    const display = new CliProgressDisplay({
      write: (t) => out += t,
      interactive: true,
      columns: () => 100,
      now: () => clock,
    });
    for (let i = 1; i <= 4; i++) {
      clock = i * 1000;
      display.callback(report(i * 100));
    }
    clock = 10_000;
    display.callback(report(1000, true));
    display.close();
    const frames = out.split("\r").filter((f) => f.includes("ETA"));
    assert.equal(frames.length, 4);
    assert.equal(
      frames[3],
      " 40% [##########..............] 400 B/1000 B  100 B/s  ETA 0:06  /f.bin\x1b[K",
    );
    // deno-lint-ignore no-control-regex
    assert.match(out, /\r\x1b\[K\/f\.bin: 1000 B in 0:10 \(100 B\/s\)\n$/);
  });

  test("without a terminal: plain lines at most once per interval, no escapes", () => {
    let clock = 0;
    let out = "";
    const display = new CliProgressDisplay({
      write: (t) => out += t,
      interactive: false,
      plainIntervalMs: 1000,
      now: () => clock,
    });
    for (let i = 1; i <= 10; i++) {
      clock = i * 250;
      display.callback(report(i * 50));
    }
    display.callback(report(1000, true));
    display.close();
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(out, /[\r\x1b]/);
    const lines = out.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      "/f.bin: 20% 200 B of 1000 B, 200 B/s, ETA 0:04",
      "/f.bin: 40% 400 B of 1000 B, 200 B/s, ETA 0:03",
    ]);
    assert.equal(lines.length, 3);
    assert.match(lines[2], /^\/f\.bin: 1000 B in 0:03 \(100 B\/s\)$/);
  });

  test("several files: the job total and a file counter", () => {
    let out = "";
    let clock = 0;
    const display = new CliProgressDisplay({
      write: (t) => out += t,
      interactive: true,
      now: () => clock,
    });
    display.expect(3000, 3);
    clock = 1000;
    display.callback(report(500));
    assert.match(out, /^\r\[0\/3\] {2}16% \[/);
  });

  test("formats sizes and durations", () => {
    assert.equal(formatByteSize(512), "512 B");
    assert.equal(formatByteSize(1536), "1.50 KiB");
    assert.equal(formatByteSize(640 * 1024), "640.0 KiB");
    assert.equal(formatDuration(65), "1:05");
    assert.equal(formatDuration(3725), "1:02:05");
    assert.equal(formatDuration(Infinity), "--:--");
  });
});

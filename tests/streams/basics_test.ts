import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BufferedReader,
  Code,
  FtpError,
  FtpTimeoutError,
  LineTooLongError,
  StatusCodeError,
  Throttle,
  throttleTransform,
} from "../../streams/mod.ts";
import { readAll, streamOf } from "../_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("Code", () => {
  test("matches masks", () => {
    const c = new Code("226");
    assert.ok(c.matches("2xx"));
    assert.ok(c.matches("22x"));
    assert.ok(c.matches("x26"));
    assert.ok(!c.matches("1xx"));
    assert.ok(new Code("123").matches("1x3"));
    assert.ok(c.isCompletion && !c.isFailure);
    assert.throws(() => new Code("99"), RangeError);
    assert.throws(() => new Code("abc"), RangeError);
  });
});

describe("errors", () => {
  test("StatusCodeError carries codes and info", () => {
    const err = new StatusCodeError(["250"], "550", ["550 nope"]);
    assert.ok(err instanceof FtpError);
    assert.deepEqual(err.expectedCodes, ["250"]);
    assert.deepEqual(err.receivedCodes, ["550"]);
    assert.deepEqual(err.info, ["550 nope"]);
    assert.equal(err.name, "StatusCodeError");
  });
});

describe("BufferedReader", () => {
  test("splits lines across chunk boundaries, CRLF and LF", async () => {
    const r = new BufferedReader(streamOf("220 he", "llo\r", "\n331 x\nlast"));
    assert.equal(dec.decode((await r.readLine())!), "220 hello");
    assert.equal(dec.decode((await r.readLine())!), "331 x");
    assert.equal(dec.decode((await r.readLine())!), "last");
    assert.equal(await r.readLine(), null);
  });

  test("rejects a 1 MiB line without buffering it all", async () => {
    let produced = 0;
    const big = new ReadableStream<Uint8Array>({
      pull(c) {
        produced += 64 * 1024;
        if (produced > 1024 * 1024) c.close();
        else c.enqueue(new Uint8Array(64 * 1024).fill(0x41));
      },
    });
    const r = new BufferedReader(big, { maxLineLength: 8192 });
    await assert.rejects(r.readLine(), LineTooLongError);
    assert.ok(produced <= 128 * 1024, `read ${produced} bytes before refusing`);
  });

  test("readExactly and readUpTo", async () => {
    const r = new BufferedReader(streamOf("abc", "defgh"));
    assert.equal(dec.decode(await r.readExactly(4)), "abcd");
    assert.equal(dec.decode((await r.readUpTo(100))!), "efgh");
    assert.equal(await r.readUpTo(10), null);
  });

  test("timeout keeps the pending read for the next call", async () => {
    let push!: (s: string) => void;
    const s = new ReadableStream<Uint8Array>({
      start(c) {
        push = (t) => c.enqueue(enc.encode(t));
      },
    });
    const r = new BufferedReader(s);
    await assert.rejects(r.readLine({ timeoutMs: 30 }), FtpTimeoutError);
    push("200 ok\r\n");
    assert.equal(dec.decode((await r.readLine({ timeoutMs: 1000 }))!), "200 ok");
  });

  test("abort signal", async () => {
    const r = new BufferedReader(new ReadableStream());
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    await assert.rejects(r.readLine({ signal: ac.signal }), (e: Error) => e instanceof FtpError);
  });
});

describe("Throttle", () => {
  test("unlimited passes at once", async () => {
    const t = new Throttle(null);
    const start = performance.now();
    for (let i = 0; i < 1000; i++) await t.consume(1 << 20);
    assert.ok(performance.now() - start < 500);
  });

  test("a throttled stream stays within 10% of its limit over 2 s", async () => {
    const limit = 512 * 1024;
    const throttle = new Throttle(limit);
    const chunk = 16 * 1024;
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new Uint8Array(chunk));
      },
    });
    const reader = source.pipeThrough(throttleTransform([throttle])).getReader();
    const start = performance.now();
    while (performance.now() - start < 2000) {
      const { value } = await reader.read();
      sent += value!.byteLength;
    }
    const seconds = (performance.now() - start) / 1000;
    await reader.cancel();
    const rate = sent / seconds;
    assert.ok(rate <= limit * 1.1, `rate ${rate} over limit ${limit}`);
    assert.ok(rate >= limit * 0.7, `rate ${rate} far under limit ${limit}`);
  });

  test("limit can change while running and is shared", async () => {
    const t = new Throttle(100);
    t.limit = null;
    const start = performance.now();
    await Promise.all([t.consume(1 << 20), t.consume(1 << 20)]);
    assert.ok(performance.now() - start < 200);
    assert.throws(() => new Throttle(-1), RangeError);
  });

  test("throttleTransform passes data intact", async () => {
    const out = await readAll(
      streamOf("a", "bc").pipeThrough(throttleTransform([new Throttle(1e9)])),
    );
    assert.equal(dec.decode(out), "abc");
  });
});

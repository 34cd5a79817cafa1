import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BufferedReader } from "../../streams/buffered_reader.ts";
import { byobReaderOf } from "../../streams/byob.ts";
import { ControlLineReader } from "../../server/control_reader.ts";
import { streamOf } from "../_helpers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A byte stream serving `text` that records the size of every view it was asked to fill. */
function byteStream(text: string, asked: number[]): ReadableStream<Uint8Array> {
  const bytes = enc.encode(text);
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest;
      if (at >= bytes.byteLength) {
        controller.close();
        request?.respond(0);
        return;
      }
      if (!request?.view) {
        // A default read: a chunk the stream allocates, as adapters do.
        const n = Math.min(16 * 1024, bytes.byteLength - at);
        controller.enqueue(bytes.slice(at, at + n));
        at += n;
        return;
      }
      const view = new Uint8Array(
        request.view.buffer,
        request.view.byteOffset,
        request.view.byteLength,
      );
      asked.push(view.byteLength);
      const n = Math.min(view.byteLength, bytes.byteLength - at);
      view.set(bytes.subarray(at, at + n));
      at += n;
      request.respond(n);
    },
  });
}

describe("BufferedReader with readSize", () => {
  test("reads a byte stream into views of readSize; lines cross the reads intact", async () => {
    const asked: number[] = [];
    const long = "L".repeat(2500);
    const reader = new BufferedReader(byteStream(`USER a\r\n${long}\r\nPASS b\nQUIT`, asked), {
      readSize: 1024,
    });
    assert.equal(dec.decode((await reader.readLine())!), "USER a");
    assert.equal(dec.decode((await reader.readLine())!), long);
    assert.equal(dec.decode((await reader.readLine())!), "PASS b");
    assert.equal(dec.decode((await reader.readLine())!), "QUIT");
    assert.equal(await reader.readLine(), null);
    assert.equal(reader.ownBuffers, true);
    assert.ok(asked.length >= 3, `only ${asked.length} reads for 2.5 KiB`);
    assert.ok(asked.every((n) => n === 1024), `views asked: ${asked.join(", ")}`);
  });

  test("without readSize a byte stream is read with a default reader", async () => {
    const asked: number[] = [];
    const reader = new BufferedReader(byteStream("a\r\nb\r\n", asked));
    assert.equal(dec.decode((await reader.readLine())!), "a");
    assert.equal(dec.decode((await reader.readLine())!), "b");
    assert.equal(await reader.readLine(), null);
    assert.deepEqual(asked, []);
  });

  test("readSize on a stream that is not a byte stream falls back to chunks", async () => {
    const reader = new BufferedReader(streamOf("NOOP\r", "\nQUIT\r\n"), { readSize: 4 });
    assert.equal(reader.ownBuffers, false);
    assert.equal(dec.decode((await reader.readLine())!), "NOOP");
    assert.equal(dec.decode((await reader.readUpTo(100))!), "QUIT\r\n");
    assert.equal(await reader.readUpTo(100), null);
  });

  test("release() after BYOB reads returns the unread bytes and unlocks the stream", async () => {
    const stream = byteStream("AUTH TLS\r\nextra", []);
    const reader = new BufferedReader(stream, { readSize: 1024 });
    assert.equal(dec.decode((await reader.readLine())!), "AUTH TLS");
    assert.equal(dec.decode(reader.release()), "extra");
    assert.equal(stream.locked, false);
  });

  test("ControlLineReader: 1 KiB reads by default, chunks with readSize 0", async () => {
    const asked: number[] = [];
    const own = new ControlLineReader(byteStream("USER a\r\nPASS b\r\n", asked), 4096);
    assert.equal(own.ownBuffers, true);
    assert.equal(dec.decode((await own.readLine())!), "USER a");
    assert.equal(dec.decode((await own.readLine())!), "PASS b");
    assert.deepEqual(asked, [1024]);
    const chunks = new ControlLineReader(byteStream("QUIT\r\n", asked), 4096, { readSize: 0 });
    assert.equal(chunks.ownBuffers, false);
    assert.equal(dec.decode((await chunks.readLine())!), "QUIT");
    assert.equal(await chunks.readLine(), null);
    assert.deepEqual(asked, [1024]);
  });
});

describe("byobReaderOf", () => {
  test("a byte stream gives a BYOB reader; another stream gives null and stays readable", async () => {
    assert.notEqual(byobReaderOf(byteStream("x", [])), null);
    const plain = streamOf("NOOP\r\n");
    assert.equal(byobReaderOf(plain), null);
    assert.equal(plain.locked, false);
    const { value } = await plain.getReader().read();
    assert.equal(dec.decode(value), "NOOP\r\n");
  });

  test("an owner class found once without byte streams is not asked again", () => {
    class PlainConnection {}
    let asked = 0;
    const stream = () => {
      const s = streamOf("x");
      const getReader = s.getReader.bind(s) as (o?: unknown) => unknown;
      (s as unknown as { getReader: (o?: unknown) => unknown }).getReader = (o?: unknown) => {
        asked++;
        return getReader(o);
      };
      return s;
    };
    assert.equal(byobReaderOf(stream(), new PlainConnection()), null);
    assert.equal(byobReaderOf(stream(), new PlainConnection()), null);
    assert.equal(asked, 1);
    // Without an owner every stream is asked.
    assert.equal(byobReaderOf(stream()), null);
    assert.equal(asked, 2);
  });
});

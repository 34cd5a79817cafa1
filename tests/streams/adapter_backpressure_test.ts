import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Connection } from "../../streams/mod.ts";
import { CA_PEM, delay, RUNTIME, SERVER_TLS } from "../_helpers.ts";
import { adaptersUnderTest, pausedTlsCaveat, startServer, within } from "./_adapter_helpers.ts";

const CHUNK = 1024 * 1024;
const TOTAL = 64 * 1024 * 1024;
/**
 * Bytes that may sit between a resolved `write()` and the peer's reader: the
 * kernel's send and receive buffers on loopback plus each adapter's own
 * (at most 1 MiB queued on the reading side and one chunk on the writing side).
 */
const BOUND = 16 * 1024 * 1024;
/** A write pending this long counts as stalled. */
const STALL_MS = 750;

for (const adapter of adaptersUnderTest()) {
  describe(`${adapter.name} adapter on ${RUNTIME}: backpressure`, () => {
    const stops: (() => void)[] = [];
    after(() => stops.forEach((stop) => stop()));

    for (const secure of [false, true]) {
      const skip = secure ? pausedTlsCaveat(adapter) : undefined;
      const name = `a peer that does not read stalls the writer within a bounded buffer (${
        secure ? "TLS" : "TCP"
      })`;
      test(name, { skip }, () => slowReader(secure));
      test(
        `a buffer may be reused once its write resolved, even while the peer lags (${
          secure ? "TLS" : "TCP"
        })`,
        { skip },
        () => reusedBuffer(secure),
      );
    }

    /** A client connection to a test server, TLS when `secure`. */
    function connectTo(port: number, secure: boolean): Promise<Connection> {
      return adapter.connect({
        hostname: "127.0.0.1",
        port,
        tls: secure ? { caCerts: [CA_PEM], serverName: "localhost" } : undefined,
      });
    }

    /**
     * One small buffer, rewritten with the next pattern as soon as each write
     * resolves, while the peer reads late: an adapter that still held the
     * buffer would send later patterns in place of earlier ones.
     */
    async function reusedBuffer(secure: boolean): Promise<void> {
      const size = 4096;
      const count = 2048; // 8 MiB: more than the loopback buffers, so writes go partial
      let startReading!: () => void;
      const readGate = new Promise<void>((resolve) => startReading = resolve);
      const server = await startServer(adapter, secure ? { tls: SERVER_TLS } : {}, async (
        conn: Connection,
      ) => {
        await readGate;
        let at = 0;
        let wrong = -1;
        for await (const chunk of conn.readable as unknown as AsyncIterable<Uint8Array>) {
          for (let i = 0; i < chunk.byteLength; i++, at++) {
            if (wrong < 0 && chunk[i] !== (Math.floor(at / size) * 7 + at) % 251) wrong = at;
          }
        }
        return { at, wrong };
      });
      stops.push(server.stop);
      const conn = await connectTo(server.port, secure);
      const writer = conn.writable.getWriter();
      const buffer = new Uint8Array(size);
      try {
        setTimeout(startReading, 200);
        for (let n = 0; n < count; n++) {
          for (let i = 0; i < size; i++) buffer[i] = (n * 7 + n * size + i) % 251;
          await within(writer.write(buffer), 10_000, `write ${n}`);
        }
        await writer.close();
        const { at, wrong } = await within(server.served[0], 20_000, "peer reads all") as {
          at: number;
          wrong: number;
        };
        assert.equal(at, size * count);
        assert.equal(wrong, -1, `byte ${wrong} is not what was written at that point`);
      } finally {
        startReading();
        conn.close();
      }
    }

    async function slowReader(secure: boolean): Promise<void> {
      let startReading!: () => void;
      const readGate = new Promise<void>((resolve) => startReading = resolve);
      let readBytes = 0;
      const server = await startServer(adapter, secure ? { tls: SERVER_TLS } : {}, async (
        conn: Connection,
      ) => {
        await readGate;
        for await (const chunk of conn.readable as unknown as AsyncIterable<Uint8Array>) {
          readBytes += chunk.byteLength;
        }
        return readBytes;
      });
      stops.push(server.stop);
      const conn = await connectTo(server.port, secure);
      const writer = conn.writable.getWriter();
      const chunk = new Uint8Array(CHUNK).fill(0x5a);
      let accepted = 0;
      let maxInFlight = 0;
      let stalledAt = -1;
      try {
        // Phase 1: nobody reads. The writer must stall long before 64 MiB.
        while (accepted < TOTAL) {
          const write = writer.write(chunk).then(() => true);
          const stalled = !(await Promise.race([write, delay(STALL_MS).then(() => false)]));
          if (stalled) {
            stalledAt = accepted;
            startReading(); // phase 2: the peer reads; the pending write must go through.
            await within(write, 10_000, "stalled write after the peer started reading");
          }
          accepted += CHUNK;
          maxInFlight = Math.max(maxInFlight, accepted - readBytes);
        }
        startReading();
        await writer.close();
        assert.equal(await within(server.served[0], 20_000, "peer reads all"), TOTAL);
      } finally {
        conn.close();
      }
      assert.ok(stalledAt >= 0, "the writer never stalled although nobody read");
      assert.ok(stalledAt < BOUND, `${stalledAt} bytes accepted before stalling`);
      assert.ok(maxInFlight < BOUND, `${maxInFlight} bytes were written but unread at once`);
    }
  });
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { pumpStream } from "../../server/transfer_streams.ts";
import { delay } from "../_helpers.ts";

// Found by the 500-client soak on Deno: a transfer aborted between reading a
// chunk and writing it left the write's promise without a handler; when the
// peer was gone that write failed later (EPIPE) and the unhandled rejection
// killed the server process.
test("a transfer aborted between read and write leaves no unhandled rejection", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const source = new ReadableStream<Uint8Array>({
        pull(c) {
          c.enqueue(new Uint8Array(16));
        },
      });
      const sink = new WritableStream<Uint8Array>({
        async write() {
          await delay(5);
          throw new Error("EPIPE (simulated)");
        },
      });
      await assert.rejects(
        pumpStream(source, sink, {
          signal: controller.signal,
          onChunk: () => controller.abort(new Error("client vanished")),
        }),
      );
    }
    await delay(50);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

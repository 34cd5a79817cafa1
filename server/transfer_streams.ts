/**
 * Moving bytes between a file and a data connection: a pump with
 * backpressure, per-chunk stall timeouts and cancellation.
 *
 * @module
 */

import { abortReason, waitFor } from "../streams/buffered_reader.ts";

/** Options of {@linkcode pumpStream}. */
export interface PumpOptions {
  /** Cancels the transfer. */
  signal?: AbortSignal;
  /** Fail when one read or write stalls this long. */
  stallTimeoutMs?: number | null;
  /** Sees every chunk before it is written (counting, hashing). */
  onChunk?: (chunk: Uint8Array) => void;
}

/**
 * Copy `source` into `sink` one chunk at a time, awaiting each write
 * (backpressure), then close `sink`. On failure both ends are cancelled and
 * the error is rethrown. Returns the number of bytes copied.
 *
 * @example
 * ```ts
 * import { pumpStream } from "@ftpkit/ftp/server";
 * const bytes = await pumpStream(new Blob(["abc"]).stream(), new WritableStream());
 * console.log(bytes); // 3
 * ```
 */
export async function pumpStream(
  source: ReadableStream<Uint8Array>,
  sink: WritableStream<Uint8Array>,
  options: PumpOptions = {},
): Promise<number> {
  const { signal, onChunk } = options;
  const timeoutMs = options.stallTimeoutMs ?? undefined;
  const reader = source.getReader();
  const writer = sink.getWriter();
  let total = 0;
  try {
    while (true) {
      const { done, value } = await waitFor(reader.read(), { signal, timeoutMs }, "transfer read");
      if (done) break;
      onChunk?.(value);
      // waitFor refuses an aborted signal without watching the promise it was
      // given: a write started then would fail later, unhandled (EPIPE).
      if (signal?.aborted) throw abortReason(signal, "transfer write");
      await waitFor(writer.write(value), { signal, timeoutMs }, "transfer write");
      total += value.byteLength;
    }
    if (signal?.aborted) throw abortReason(signal, "transfer close");
    await waitFor(writer.close(), { signal, timeoutMs }, "transfer close");
    return total;
  } catch (err) {
    reader.cancel(err).catch(() => {});
    writer.abort(err).catch(() => {});
    throw err;
  }
}

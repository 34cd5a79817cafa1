/**
 * Finding out whether a stream can be read into the caller's buffers.
 *
 * @module
 */

/** Classes of stream owners (connections) whose streams are known not to be byte streams. */
const plainOwners = new WeakSet<object>();

/**
 * A BYOB reader for `stream` when it is a byte stream (`type: "bytes"`, as
 * Deno's sockets offer), else `null` and `stream` stays unlocked. Finding out
 * takes a failed `getReader({ mode: "byob" })`, whose error Node builds with
 * `util.inspect` of the stream (about 40 µs): with `owner` (the connection
 * the stream belongs to), a class found once to offer no byte streams is not
 * asked again.
 *
 * @example
 * ```ts
 * import { byobReaderOf } from "@ftpkit/ftp/streams";
 * const reader = byobReaderOf(new ReadableStream({ type: "bytes" }));
 * console.log(reader !== null); // true
 * ```
 */
export function byobReaderOf(
  stream: ReadableStream<Uint8Array>,
  owner?: object,
): ReadableStreamBYOBReader | null {
  const kind = owner?.constructor;
  if (kind && plainOwners.has(kind)) return null;
  try {
    return stream.getReader({ mode: "byob" });
  } catch {
    if (kind) plainOwners.add(kind);
    return null;
  }
}

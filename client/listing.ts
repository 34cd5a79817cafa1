/**
 * The result of `Client.list`: iterate it, or collect it with `toArray()`.
 *
 * @module
 */

import type { RemoteFileInfo } from "./parse_list.ts";

/** One listed entry: its path (the listed path joined with the name) and facts. */
export type ListEntry = [path: string, info: RemoteFileInfo];

/**
 * A directory listing that is fetched when iterated. It is deliberately not
 * a promise (no `then`), so `await client.list()` is a mistake the type
 * checker reports; use `for await` or `await client.list().toArray()`.
 *
 * @example
 * ```ts
 * import { Client } from "@ftpkit/ftp";
 * await using client = await Client.context("ftp://127.0.0.1:2121/");
 * for await (const [path, info] of client.list("/pub", { recursive: true })) {
 *   console.log(path, info.type, info.size);
 * }
 * const all = await client.list("/pub").toArray();
 * ```
 */
export class RemoteListing implements AsyncIterable<ListEntry> {
  #produce: () => AsyncIterable<ListEntry>;

  /**
   * A listing that runs `produce` each time it is iterated.
   *
   * @param produce Yields the entries (called once per iteration).
   */
  constructor(produce: () => AsyncIterable<ListEntry>) {
    this.#produce = produce;
  }

  /** Iterate the entries. */
  [Symbol.asyncIterator](): AsyncIterator<ListEntry> {
    return this.#produce()[Symbol.asyncIterator]();
  }

  /** All entries in one array. */
  async toArray(): Promise<ListEntry[]> {
    const out: ListEntry[] = [];
    for await (const entry of this) out.push(entry);
    return out;
  }
}

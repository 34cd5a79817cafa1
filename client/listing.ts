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
  #produce: () => AsyncIterable<readonly ListEntry[]>;

  /**
   * A listing that runs `produce` each time it is iterated.
   *
   * @param produce Yields the entries in batches, one per directory read
   *   (called once per iteration).
   */
  constructor(produce: () => AsyncIterable<readonly ListEntry[]>) {
    this.#produce = produce;
  }

  /** Iterate the entries. */
  [Symbol.asyncIterator](): AsyncIterator<ListEntry> {
    const batches = this.#produce()[Symbol.asyncIterator]();
    let batch: readonly ListEntry[] = [];
    let at = 0;
    // Entries are served from the batch at hand: no generator step per entry.
    return {
      async next(): Promise<IteratorResult<ListEntry>> {
        while (at >= batch.length) {
          const step = await batches.next();
          if (step.done) return { done: true, value: undefined };
          batch = step.value;
          at = 0;
        }
        return { done: false, value: batch[at++] };
      },
      async return(): Promise<IteratorResult<ListEntry>> {
        await batches.return?.();
        return { done: true, value: undefined };
      },
    };
  }

  /** All entries in one array. */
  async toArray(): Promise<ListEntry[]> {
    const out: ListEntry[] = [];
    for await (const batch of this.#produce()) {
      for (const entry of batch) out.push(entry);
    }
    return out;
  }
}

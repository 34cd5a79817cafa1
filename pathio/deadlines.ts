/**
 * {@linkcode Deadlines}: time limits for many short operations with one
 * timer, so a transfer of thousands of chunks does not arm and clear a timer
 * per chunk.
 *
 * @module
 */

interface Pending {
  deadline: number;
  expire: () => void;
}

/**
 * Tracks the operations of one backend that must finish within `timeoutMs`.
 * A single interval timer checks them every `timeoutMs / 4` (5–250 ms), so an
 * operation expires between `timeoutMs` and `timeoutMs` plus one tick. The
 * timer stops at the first tick that finds nothing pending.
 *
 * @example
 * ```ts ignore
 * const deadlines = new Deadlines(30_000);
 * const done = deadlines.start(() => console.log("too slow"));
 * await work();
 * done();
 * ```
 */
export class Deadlines {
  /** The limit of each operation, in milliseconds. */
  readonly timeoutMs: number;
  readonly #tickMs: number;
  readonly #pending = new Set<Pending>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param timeoutMs The limit of each operation (> 0). */
  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.#tickMs = Math.min(250, Math.max(5, Math.floor(timeoutMs / 4)));
  }

  /** Call `expire` once the limit has passed, unless the returned function is called first. */
  start(expire: () => void): () => void {
    const entry: Pending = { deadline: performance.now() + this.timeoutMs, expire };
    this.#pending.add(entry);
    this.#timer ??= setInterval(() => this.#tick(), this.#tickMs);
    return () => this.#pending.delete(entry);
  }

  #tick(): void {
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = performance.now();
    for (const entry of this.#pending) {
      if (entry.deadline > now) continue;
      this.#pending.delete(entry);
      entry.expire();
    }
  }
}

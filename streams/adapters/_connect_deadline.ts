/**
 * Connect-time limits shared by the adapters whose runtime API takes neither
 * an `AbortSignal` nor a timeout.
 *
 * @module
 */

import { SocketError } from "../errors.ts";

/** The abort and timeout limits of one connect attempt. */
export interface ConnectDeadline {
  /** Cancels the attempt. */
  signal?: AbortSignal;
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
}

/**
 * Race `attempt` against `signal` and `timeoutMs`. A connection that arrives
 * after the race was lost is passed to `discard`, so no socket leaks.
 *
 * @param attempt The pending connect.
 * @param deadline Signal and timeout.
 * @param target `host:port`, for messages.
 * @param discard Closes a connection that arrived too late.
 * @throws {SocketError} `EABORTED` on abort, `ETIMEDOUT` on timeout; else the attempt's own error.
 */
export function raceConnect<T>(
  attempt: Promise<T>,
  deadline: ConnectDeadline,
  target: string,
  discard: (late: T) => void,
): Promise<T> {
  const { signal, timeoutMs } = deadline;
  if (signal?.aborted) {
    attempt.then(discard, () => {});
    return Promise.reject(
      new SocketError(`connect to ${target} aborted`, "EABORTED", { cause: signal.reason }),
    );
  }
  if (!signal && !(timeoutMs !== undefined && timeoutMs > 0)) return attempt;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settle = (err: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(value as T);
    };
    const onAbort = () =>
      settle(
        new SocketError(`connect to ${target} aborted`, "EABORTED", { cause: signal?.reason }),
      );
    signal?.addEventListener("abort", onAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(
        () => settle(new SocketError(`connect to ${target} timed out`, "ETIMEDOUT")),
        timeoutMs,
      );
    }
    attempt.then(
      (value) => {
        if (settled) discard(value);
        else settle(undefined, value);
      },
      (err) => settle(err ?? new SocketError(`connect to ${target} failed`, "EIO")),
    );
  });
}

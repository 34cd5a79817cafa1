/**
 * Web-Streams views of one data transfer: {@linkcode FtpDownloadStream} and
 * {@linkcode FtpUploadStream}. Each keeps the control connection's turn until
 * it is finished or aborted, so nothing else is sent while data flows.
 *
 * @module
 */

import { abortReason, waitFor } from "../streams/buffered_reader.ts";
import { byobReaderOf } from "../streams/byob.ts";
import type { Connection } from "../streams/connection.ts";
import {
  ConnectionClosedError,
  FtpError,
  FtpTimeoutError,
  ProtocolError,
  StatusCodeError,
} from "../streams/errors.ts";
import type { Throttle } from "../streams/throttle.ts";
import type { ControlConnection } from "./control.ts";
import { asTlsReuseError, type DataConnectionSettings } from "./data_connection.ts";
import type { FtpReply } from "./parse_reply.ts";
import type { ProgressReporter } from "./progress.ts";
import { WriteBehind } from "./_write_behind.ts";

/** What a transfer stream is built from (created by the `Client`). */
export interface TransferSetup {
  /** The data connection's settings (control connection, adapter, TLS). */
  settings: DataConnectionSettings;
  /** Ends the control connection's turn. */
  release: () => void;
  /** The open data connection. */
  conn: Connection;
  /** The server's reply to the transfer command. */
  reply: FtpReply;
  /** Counts bytes. */
  progress: ProgressReporter;
  /** Speed limit of this direction, if any. */
  throttle?: Throttle;
  /** Cancels the transfer (sends ABOR). */
  signal?: AbortSignal;
  /** Called once when the transfer is over, whichever way. */
  onSettled?: () => void;
}

/** The shared life cycle: finish with the server's final reply, or ABOR. */
class TransferCore {
  readonly setup: TransferSetup;
  readonly control: ControlConnection;
  /** Reads and discards what is left of a download (see {@linkcode TransferCore.abort}). */
  drain?: () => Promise<void>;
  #settled: Promise<FtpReply | void> | null = null;
  /** Whether data waits have a limit at all (a signal or a socket timeout). */
  #guarded: boolean;
  /** Why data waits fail from now on (signal aborted, timed out), once known. */
  #interruption: unknown = null;
  /** Rejects the data wait in progress (see {@linkcode TransferCore.waitData}). */
  #rejectWait: ((err: unknown) => void) | null = null;
  /** When the data wait in progress began (`0`: none), and what it waits for. */
  #waitingSince = 0;
  #waitingFor = "";
  #watchdog: ReturnType<typeof setTimeout> | undefined;
  #onAbort = () => {
    this.#interrupt(abortReason(this.setup.signal!, this.#waitingFor || "transfer"));
    this.abort().catch(() => {});
  };

  constructor(setup: TransferSetup) {
    this.setup = setup;
    this.control = setup.settings.control;
    setup.signal?.addEventListener("abort", this.#onAbort, { once: true });
    this.#guarded = setup.signal !== undefined ||
      (this.timeoutMs > 0 && Number.isFinite(this.timeoutMs));
  }

  get settled(): boolean {
    return this.#settled !== null;
  }

  get timeoutMs(): number {
    return this.control.socketTimeout;
  }

  /** Wait for a data-side promise with the socket timeout and the signal. */
  wait<T>(promise: Promise<T>, what: string): Promise<T> {
    return waitFor(promise, { signal: this.setup.signal, timeoutMs: this.timeoutMs }, what);
  }

  /**
   * {@linkcode TransferCore.wait} for the per-chunk reads and writes: the
   * same limits, but one race against a promise made once per transfer and
   * one timer that is re-armed only when it fires, instead of a timer and an
   * abort listener per chunk (they cost more than the chunk on Bun).
   */
  waitData<T>(promise: Promise<T>, what: string): Promise<T> {
    if (!this.#guarded) return promise;
    // A second wait at the same time (rare: a drain) takes the general path.
    if (this.#rejectWait) return this.wait(promise, what);
    if (this.#interruption === null && this.setup.signal?.aborted) {
      this.#interruption = abortReason(this.setup.signal, what);
    }
    if (this.#interruption !== null) {
      promise.catch(() => {}); // nobody else will look at it: no unhandled rejection
      return Promise.reject(this.#interruption);
    }
    this.#waitingSince = Date.now();
    this.#waitingFor = what;
    if (this.#watchdog === undefined && this.timeoutMs > 0 && Number.isFinite(this.timeoutMs)) {
      this.#watchdog = setTimeout(this.#watch, this.timeoutMs);
    }
    // Not Promise.race with a promise that lives as long as the transfer:
    // each race would leave a reaction on it that keeps its chunk alive.
    return new Promise<T>((resolve, reject) => {
      this.#rejectWait = reject;
      // A wait that was interrupted may settle later: it must not end the next one.
      promise.then((value) => {
        if (this.#rejectWait === reject) this.#waitDone();
        resolve(value);
      }, (err) => {
        if (this.#rejectWait === reject) this.#waitDone();
        reject(err);
      });
    });
  }

  #waitDone(): void {
    this.#waitingSince = 0;
    this.#rejectWait = null;
  }

  /** Data waits fail with `err` from now on, the one in progress at once. */
  #interrupt(err: unknown): void {
    this.#interruption ??= err;
    const reject = this.#rejectWait;
    this.#waitDone();
    reject?.(err);
  }

  /** Fires at the earliest moment the wait in progress can have timed out. */
  #watch = () => {
    this.#watchdog = undefined;
    if (this.#settled || this.#waitingSince === 0) return; // the next wait re-arms it
    const waited = Date.now() - this.#waitingSince;
    if (waited >= this.timeoutMs) {
      this.#interrupt(new FtpTimeoutError(this.#waitingFor, this.timeoutMs));
    } else this.#watchdog = setTimeout(this.#watch, this.timeoutMs - waited);
  };

  /** Read the final reply (after the data side is done) and end the turn. */
  complete(): Promise<FtpReply> {
    if (this.#settled) return this.#settled as Promise<FtpReply>;
    const run = async (): Promise<FtpReply> => {
      try {
        if (this.setup.reply.code.isCompletion) return this.setup.reply;
        return await this.control.command(null, ["2xx"], ["1xx"], { signal: this.setup.signal });
      } catch (err) {
        throw asTlsReuseError(this.setup.settings, err);
      } finally {
        this.setup.conn.close();
        this.#end();
      }
    };
    const p = run();
    this.#settled = p;
    return p;
  }

  /**
   * Send ABOR and read the replies (RFC 959: `426` for the interrupted
   * transfer, then `226`; or `226` then `225` when it had ended). `drain`
   * keeps reading a download meanwhile: servers that handle one command at a
   * time (ftp-srv) read ABOR only after the transfer, and stall if nobody
   * reads. An upload's data connection is closed first so such a server
   * sees its end.
   */
  abort(): Promise<void> {
    if (this.#settled) return this.#settled.then(() => {}, () => {});
    const drain = this.drain;
    const run = async () => {
      const draining = drain ? drain().catch(() => {}) : undefined;
      if (!drain) this.setup.conn.close();
      try {
        // One reply ends the transfer (426, or 226 if it had ended), one
        // answers ABOR (226 or 225). Only then NOOP: ftp-srv answers a NOOP
        // sent along with ABOR before ABOR itself. Its 200 absorbs any extra
        // reply a server adds (ftp-srv sends 551, 426 and 226).
        await this.control.send("ABOR");
        let expected = this.setup.reply.code.isCompletion ? 1 : 2;
        while (expected > 0) {
          const reply = await this.control.readReply();
          if (!reply.code.isPreliminary) expected--;
        }
        await this.control.send("NOOP");
        for (let replies = 0;; replies++) {
          const reply = await this.control.readReply();
          if (reply.code.value === "200") break;
          if (replies >= 3) throw new ProtocolError("Unexpected replies after ABOR");
        }
      } catch (err) {
        this.control.fail(err);
      } finally {
        this.setup.conn.close();
        await draining;
        this.#end();
      }
    };
    const p = run();
    this.#settled = p;
    return p;
  }

  /**
   * A data-side failure: on a protected data connection the server's reply
   * may explain it (a refused TLS session resumption), so it is read briefly
   * and reported instead. Then the session is given up: the server's state is
   * unknown. Returns the error to throw.
   */
  async failData(err: unknown): Promise<unknown> {
    if (this.#settled) return err;
    let reported = err;
    if (this.setup.settings.tls && this.control.failure === null) {
      this.setup.conn.close();
      try {
        const reply = await waitFor(
          this.control.readReply(),
          { timeoutMs: Math.min(this.timeoutMs || 2000, 2000) },
          "reply after a data connection failure",
        );
        if (!reply.code.isCompletion) {
          reported = asTlsReuseError(
            this.setup.settings,
            new StatusCodeError(["2xx"], reply.code.value, reply.lines, { cause: err }),
          );
        }
      } catch {
        // Keep the data-side error.
      }
    }
    this.failHard(reported);
    return reported;
  }

  /** Give up on the session: a data-side failure leaves the server in an unknown state. */
  failHard(err: unknown): void {
    if (this.#settled) return;
    this.setup.conn.close();
    this.control.fail(err);
    this.#settled = Promise.reject(err);
    this.#settled.catch(() => {});
    this.#end();
  }

  #end(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.setup.signal?.removeEventListener("abort", this.#onAbort);
    this.setup.progress.finish();
    this.setup.release();
    this.setup.onSettled?.();
  }
}

/**
 * A download in progress: read {@linkcode FtpDownloadStream.readable}, then
 * call {@linkcode FtpDownloadStream.finish} to check the server's final
 * reply. `await using` aborts it if it was not finished.
 *
 * @example
 * ```ts
 * import { Client } from "@ftpkit/ftp";
 * await using client = await Client.context("ftp://127.0.0.1:2121/");
 * const download = await client.downloadStream("/readme.txt");
 * const text = await new Response(download.readable).text();
 * await download.finish();
 * ```
 */
export class FtpDownloadStream implements AsyncDisposable {
  #core: TransferCore;
  #ended = false;
  #source: DataReader;
  #readable: ReadableStream<Uint8Array> | null = null;
  #writingTo = false;

  /**
   * Wrap an opened download (the `Client` does this in `downloadStream`).
   *
   * @param setup Built by the `Client`.
   */
  constructor(setup: TransferSetup) {
    const core = this.#core = new TransferCore(setup);
    const source = this.#source = new DataReader(setup.conn);
    core.drain = async () => {
      if (this.#ended) return;
      while ((await core.wait(source.read(), "draining an aborted download")) !== null);
      this.#ended = true;
      await core.wait(setup.conn.closeWrite(), "closing the data connection");
    };
  }

  /**
   * The file's bytes; backpressure reaches the server through TCP. Made on
   * first use (it reads ahead from then on); not available after
   * {@linkcode FtpDownloadStream.writeTo}.
   */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= this.#writingTo
      ? new ReadableStream({
        start: (controller) => controller.error(new FtpError("The download is read by writeTo()")),
      })
      : this.#makeReadable();
    return this.#readable;
  }

  #makeReadable(): ReadableStream<Uint8Array> {
    const core = this.#core;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const chunk = await this.#next();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        } catch (err) {
          if (core.setup.signal?.aborted) {
            controller.error(err);
            await core.abort();
          } else controller.error(await core.failData(err));
        }
      },
      cancel: () => core.abort(),
    }, new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }));
  }

  /** The server's reply to the transfer command (`150 ...`). */
  get reply(): FtpReply {
    return this.#core.setup.reply;
  }

  /**
   * Hand the data to `write` instead of reading
   * {@linkcode FtpDownloadStream.readable} (use one or the other):
   * one call at a time, in order, the next chunk being read from the network
   * while the last one is written. A chunk is valid only until its `write`
   * resolves; its buffer is then reused, so a 1 GiB download into a file
   * needs two buffers, not a thousand. Call `finish()` afterwards. A failed
   * `write` aborts the transfer (ABOR) and is thrown.
   *
   * @example
   * ```ts
   * import { Client } from "@ftpkit/ftp";
   * await using client = await Client.context("ftp://127.0.0.1:2121/");
   * const download = await client.downloadStream("/big.iso");
   * let bytes = 0;
   * await download.writeTo(async (chunk) => {
   *   bytes += chunk.byteLength; // copy it to keep it
   * });
   * await download.finish();
   * ```
   */
  async writeTo(write: (data: Uint8Array) => Promise<void>): Promise<void> {
    if (this.#readable || this.#writingTo) {
      throw new FtpError("The download is read already (readable or writeTo)");
    }
    this.#writingTo = true;
    let reading = true;
    try {
      if (this.#source.byob) {
        // A file announced as small (`150 ... (16384 bytes)`) gets buffers its size, plus
        // the byte that lets the end show; the second buffer only when needed.
        const total = this.#core.setup.progress.total;
        const first = total !== undefined && total < MIN_BUFFER ? total + 1 : MIN_BUFFER;
        const buffers = [new Uint8Array(first), new Uint8Array(0)];
        let writing: Promise<void> | null = null;
        for (let slot = 0;; slot ^= 1) {
          if (buffers[slot].byteLength === 0) buffers[slot] = new Uint8Array(first);
          const chunk = await this.#next(buffers[slot]);
          reading = false;
          if (writing) await writing;
          if (chunk === null) break;
          // A full read asks for a larger buffer (up to 1 MiB): fewer reads and writes.
          const full = chunk.byteLength === chunk.buffer.byteLength;
          buffers[slot] = full && chunk.byteLength < MAX_BUFFER
            ? new Uint8Array(Math.min(chunk.byteLength * 2, MAX_BUFFER))
            : new Uint8Array(chunk.buffer);
          writing = write(chunk);
          writing.catch(() => {}); // awaited above, or superseded by a read error
          reading = true;
        }
      } else {
        // Fresh chunks (a socket's 64 KiB on Node): joined into fewer writes.
        const behind = new WriteBehind(write);
        try {
          for (let chunk = await this.#next(); chunk !== null; chunk = await this.#next()) {
            reading = false;
            await behind.push(chunk);
            reading = true;
          }
          reading = false;
        } finally {
          await behind.finish();
        }
      }
    } catch (err) {
      if (reading) throw await this.#failed(err);
      await this.#core.abort();
      throw err;
    }
  }

  /**
   * Read what is left of the data (discarding it), then the server's final
   * reply, and end the transfer.
   * @throws {StatusCodeError} when the server reports a failed transfer.
   */
  async finish(): Promise<FtpReply> {
    if (!this.#ended && !this.#core.settled) {
      try {
        if (this.#readable && !this.#readable.locked) {
          await this.#readable.pipeTo(new WritableStream());
        } else {
          while ((await this.#core.waitData(this.#source.read(), "reading data")) !== null);
          this.#ended = true;
        }
      } catch (err) {
        throw await this.#core.failData(err);
      }
    }
    return await this.#core.complete();
  }

  /** Stop the transfer with ABOR; the connection stays usable. */
  abort(): Promise<void> {
    return this.#core.abort();
  }

  /** Abort unless finished. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#core.settled) await this.abort();
  }

  /**
   * The next chunk (into `buffer` when given and the connection reads into
   * buffers), counted and throttled; `null` at the end.
   */
  async #next(buffer?: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null> {
    const setup = this.#core.setup;
    const value = await this.#core.waitData(this.#source.read(buffer), "reading data");
    if (value === null) {
      this.#ended = true;
      // Answer the server's TLS close_notify: vsftpd sends its final
      // reply only after the data connection is shut down both ways.
      setup.conn.closeWrite().catch(() => {});
      return null;
    }
    if (setup.throttle) await setup.throttle.consume(value.byteLength, setup.signal);
    setup.progress.add(value.byteLength);
    return value;
  }

  /** A failed read: with the signal aborted, ABOR; otherwise the session is given up. */
  async #failed(err: unknown): Promise<unknown> {
    if (this.#core.setup.signal?.aborted) {
      await this.#core.abort();
      return err;
    }
    return await this.#core.failData(err);
  }
}

/** Smallest and largest buffer of the reads into reused buffers. */
const MIN_BUFFER = 64 * 1024;
const MAX_BUFFER = 1024 * 1024;
/** Largest chunk the readable of a download on a byte-stream connection hands out. */
const USER_CHUNK = 64 * 1024;

/**
 * Reads a data connection: straight into the caller's buffers when its
 * readable is a byte stream (Deno), else the chunks it makes (Node, Bun).
 * Chunks returned without a buffer given are new and stay the caller's.
 */
class DataReader {
  readonly byob: boolean;
  #byob?: ReadableStreamBYOBReader;
  #default?: ReadableStreamDefaultReader<Uint8Array>;
  /** Reused by buffer-less reads on a byte stream; they return copies. */
  #scratch: Uint8Array<ArrayBuffer> | null = null;

  constructor(conn: Connection) {
    this.#byob = byobReaderOf(conn.readable, conn) ?? undefined;
    this.#default = this.#byob ? undefined : conn.readable.getReader();
    this.byob = this.#byob !== undefined;
  }

  /**
   * The next chunk, or `null` at the end. With `buffer` on a byte stream the
   * chunk is a view of it (the buffer itself is handed over and must not be
   * used again; use the chunk's).
   */
  async read(buffer?: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer> | null> {
    if (this.#default) {
      const { done, value } = await this.#default.read();
      return done ? null : value as Uint8Array<ArrayBuffer>;
    }
    if (buffer) {
      const { done, value } = await this.#byob!.read(buffer);
      return done || !value ? null : value;
    }
    // Chunks handed to the user must stay theirs: read into one buffer and
    // copy out exactly what arrived (instead of a new, mostly empty, 1 MiB
    // buffer per read). At 256 MB on Deno, 64 KiB copies grew the process by
    // 36-38 MB instead of 77-97 (1 MiB fresh buffers, 256 KiB copies), at
    // the speed of fresh 1 MiB buffers (256 KiB copies were ~5 % faster).
    // Taken while in use: a read at the same time (finish() while the
    // readable's pull is pending) gets a buffer of its own.
    const scratch = this.#scratch ?? new Uint8Array(USER_CHUNK);
    this.#scratch = null;
    const { done, value } = await this.#byob!.read(scratch);
    if (done || !value) return null;
    this.#scratch = new Uint8Array(value.buffer);
    return value.slice();
  }
}

/**
 * An upload in progress: write to {@linkcode FtpUploadStream.writable}, then
 * call {@linkcode FtpUploadStream.finish}, which closes the data connection and
 * checks the server's final reply.
 *
 * @example
 * ```ts
 * import { Client } from "@ftpkit/ftp";
 * await using client = await Client.context("ftp://127.0.0.1:2121/");
 * const upload = await client.uploadStream("/hello.txt");
 * await new Blob(["hello"]).stream().pipeTo(upload.writable);
 * await upload.finish();
 * ```
 */
export class FtpUploadStream implements AsyncDisposable {
  /** Bytes for the server; `write()` waits while the server is slower. */
  readonly writable: WritableStream<Uint8Array>;
  #core: TransferCore;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed: Promise<void> | null = null;

  /**
   * Wrap an opened upload (the `Client` does this in `uploadStream`).
   *
   * @param setup Built by the `Client`.
   */
  constructor(setup: TransferSetup) {
    const core = this.#core = new TransferCore(setup);
    const writer = this.#writer = setup.conn.writable.getWriter();
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (core.settled) throw new ConnectionClosedError("Upload already ended");
        try {
          if (setup.throttle) await setup.throttle.consume(chunk.byteLength, setup.signal);
          await core.waitData(writer.write(chunk), "writing data");
          setup.progress.add(chunk.byteLength);
        } catch (err) {
          if (setup.signal?.aborted) {
            await core.abort();
            throw abortReason(setup.signal, "upload");
          }
          throw await core.failData(err);
        }
      },
      close: () => this.#closeData(),
      abort: () => core.abort(),
    }, { highWaterMark: 1 });
  }

  /** The server's reply to the transfer command (`150 ...`). */
  get reply(): FtpReply {
    return this.#core.setup.reply;
  }

  /**
   * End the data (if the writable was not closed yet), then read the server's
   * final reply and end the transfer.
   * @throws {StatusCodeError} when the server reports a failed transfer.
   */
  async finish(): Promise<FtpReply> {
    if (!this.#core.settled) {
      try {
        await this.#closeData();
      } catch (err) {
        throw await this.#core.failData(err);
      }
    }
    return await this.#core.complete();
  }

  /** Stop the transfer with ABOR; the connection stays usable. */
  abort(): Promise<void> {
    return this.#core.abort();
  }

  /** Abort unless finished. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#core.settled) await this.abort();
  }

  #closeData(): Promise<void> {
    this.#closed ??= this.#core.wait(this.#writer.close(), "closing the data connection")
      .catch((err) => {
        if (err instanceof FtpError && !(err instanceof StatusCodeError)) throw err;
        throw new ConnectionClosedError("Data connection failed while closing", { cause: err });
      });
    return this.#closed;
  }
}

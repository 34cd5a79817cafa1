/**
 * Web-Streams views of one data transfer: {@linkcode FtpDownloadStream} and
 * {@linkcode FtpUploadStream}. Each keeps the control connection's turn until
 * it is finished or aborted, so nothing else is sent while data flows.
 *
 * @module
 */

import { abortReason, waitFor } from "../streams/buffered_reader.ts";
import type { Connection } from "../streams/connection.ts";
import {
  ConnectionClosedError,
  FtpError,
  ProtocolError,
  StatusCodeError,
} from "../streams/errors.ts";
import type { Throttle } from "../streams/throttle.ts";
import type { ControlConnection } from "./control.ts";
import { asTlsReuseError, type DataConnectionSettings } from "./data_connection.ts";
import type { FtpReply } from "./parse_reply.ts";
import type { ProgressReporter } from "./progress.ts";

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
  #onAbort = () => {
    this.abort().catch(() => {});
  };

  constructor(setup: TransferSetup) {
    this.setup = setup;
    this.control = setup.settings.control;
    setup.signal?.addEventListener("abort", this.#onAbort, { once: true });
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
  /** The file's bytes; backpressure reaches the server through TCP. */
  readonly readable: ReadableStream<Uint8Array>;
  #core: TransferCore;
  #ended = false;
  #reader: ReadableStreamDefaultReader<Uint8Array>;

  /**
   * Wrap an opened download (the `Client` does this in `downloadStream`).
   *
   * @param setup Built by the `Client`.
   */
  constructor(setup: TransferSetup) {
    const core = this.#core = new TransferCore(setup);
    const reader = this.#reader = setup.conn.readable.getReader();
    core.drain = async () => {
      if (this.#ended) return;
      while (!(await core.wait(reader.read(), "draining an aborted download")).done);
      this.#ended = true;
      await core.wait(setup.conn.closeWrite(), "closing the data connection");
    };
    this.readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const { done, value } = await core.wait(reader.read(), "reading data");
          if (done) {
            this.#ended = true;
            controller.close();
            // Answer the server's TLS close_notify: vsftpd sends its final
            // reply only after the data connection is shut down both ways.
            setup.conn.closeWrite().catch(() => {});
            return;
          }
          if (setup.throttle) await setup.throttle.consume(value.byteLength, setup.signal);
          setup.progress.add(value.byteLength);
          controller.enqueue(value);
        } catch (err) {
          if (setup.signal?.aborted) {
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
   * Read what is left of the data (discarding it), then the server's final
   * reply, and end the transfer.
   * @throws {StatusCodeError} when the server reports a failed transfer.
   */
  async finish(): Promise<FtpReply> {
    if (!this.#ended && !this.#core.settled) {
      try {
        if (!this.readable.locked) await this.readable.pipeTo(new WritableStream());
        else {
          while (!(await this.#core.wait(this.#reader.read(), "reading data")).done);
        }
        this.#ended = true;
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
          await core.wait(writer.write(chunk), "writing data");
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

/**
 * File transfers: RETR, STOR, APPE, STOU and REST.
 *
 * @module
 */

import type { FileHandle, OpenMode } from "../../pathio/path_io.ts";
import { join, name as baseName, parent } from "../../pathio/posix.ts";
import { throttleTransform } from "../../streams/throttle.ts";
import type { CommandTable } from "../command.ts";
import { ReplyError, type ServerSession } from "../session.ts";
import type { BufferLender } from "../transfer_budget.ts";
import { pumpFileToStream, pumpStreamToFile } from "../transfer_streams.ts";

/** `stream` through the session's throttles for `direction`, when any limit is set. */
export function throttled(
  session: ServerSession,
  stream: ReadableStream<Uint8Array>,
  direction: "read" | "write",
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const throttles = session.throttles(direction);
  if (throttles.every((t) => t.limit === null)) return stream;
  return stream.pipeThrough(throttleTransform(throttles, signal));
}

/** Run `pump` with buffers lent by the server's transfer budget, returned when it ends. */
async function withLoan<T>(
  session: ServerSession,
  pump: (buffers: BufferLender) => Promise<T>,
): Promise<T> {
  const loan = session.host.transferBudget.loan();
  try {
    return await pump(loan);
  } finally {
    loan.close();
  }
}

async function retrieve(session: ServerSession, input: string): Promise<void> {
  const { virtual, backend } = session.checkedPath(input, "read");
  const io = session.io();
  const offset = session.restOffset;
  // Both at once: each is a round trip to the storage (a thread pool for files).
  const [statResult, openResult] = await Promise.allSettled([
    io.stat(backend, session.pathOptions()),
    io.open(backend, "read", { ...session.pathOptions(), offset }),
  ]);
  const opened = openResult.status === "fulfilled" ? openResult.value : null;
  let refusal: unknown = null;
  if (statResult.status === "rejected") refusal = statResult.reason;
  else if (statResult.value.type !== "file") refusal = new ReplyError(550, "Not a regular file");
  else if (statResult.value.size < offset) {
    refusal = new ReplyError(554, "Restart offset beyond end of file");
  } else if (openResult.status === "rejected") refusal = openResult.reason;
  if (refusal !== null || opened === null || statResult.status === "rejected") {
    await opened?.close().catch(() => {});
    throw refusal;
  }
  const stat = statResult.value;
  const handle = opened;
  const user = session.requireUser();
  await session.transfer({
    description: `RETR ${virtual} (${stat.size - offset} bytes)`,
    abandon: () => handle.close(),
    run: (data, signal, progress) =>
      withLoan(session, (buffers) =>
        pumpFileToStream(handle, data.writable, {
          signal,
          stallTimeoutMs: session.settings.socketTimeout,
          onChunk: (c) => progress(c.byteLength),
          chunkSize: () => session.host.transferBudget.chunkSize(),
          readAhead: () => session.host.transferBudget.readAhead(),
          // The data connection keeps no chunk once written (Connection contract).
          buffers,
          throttles: session.throttles("write"),
          expectedSize: stat.size - offset,
        })),
    onSuccess: (size) =>
      session.host.events.emit("download", { sessionId: session.id, user, path: virtual, size }),
  });
}

async function receive(
  session: ServerSession,
  virtual: string,
  handle: FileHandle,
  description: string,
  preliminary?: string,
): Promise<void> {
  const user = session.requireUser();
  await session.transfer({
    description,
    preliminary,
    abandon: () => handle.abort(),
    run: (data, signal, progress) =>
      withLoan(session, (buffers) =>
        pumpStreamToFile(data.readable, handle, {
          signal,
          stallTimeoutMs: session.settings.socketTimeout,
          onChunk: (c) => progress(c.byteLength),
          chunkSize: () => session.host.transferBudget.chunkSize(),
          buffers,
          throttles: session.throttles("read"),
        })),
    onSuccess: (size) =>
      session.host.events.emit("upload", { sessionId: session.id, user, path: virtual, size }),
  });
}

async function store(session: ServerSession, input: string, mode: OpenMode): Promise<void> {
  const { virtual, backend } = session.checkedPath(input, "write");
  const io = session.io();
  // "write" at an offset keeps the bytes before it (REST + STOR resumes).
  const offset = mode === "append" ? undefined : session.restOffset || undefined;
  const handle = await io.open(backend, mode, { ...session.pathOptions(), offset });
  await receive(session, virtual, handle, `${mode === "append" ? "APPE" : "STOR"} ${virtual}`);
}

async function storeUnique(session: ServerSession, input: string): Promise<void> {
  const base = session.virtualPath(input.trim() === "" ? "ftpkit.upload" : input.trim());
  const dir = parent(base);
  const stem = baseName(base);
  const io = session.io();
  for (let i = 0; i < 1000; i++) {
    const candidate = i === 0 ? base : join(dir, `${stem}.${i}`);
    const { virtual, backend } = session.checkedPath(candidate, "write");
    if (await io.exists(backend, session.pathOptions())) continue;
    const handle = await io.open(backend, "write", session.pathOptions());
    await receive(session, virtual, handle, `STOU ${virtual}`, `FILE: ${baseName(virtual)}`);
    return;
  }
  throw new ReplyError(553, "Could not find a unique file name");
}

/** RETR, STOR, APPE, STOU, REST. */
export const transferCommands: CommandTable = {
  RETR: { argument: "required", run: retrieve },
  STOR: { argument: "required", run: (session, input) => store(session, input, "write") },
  APPE: { argument: "required", run: (session, input) => store(session, input, "append") },
  STOU: { run: storeUnique },
  REST: {
    argument: "required",
    async run(session, argument) {
      const offset = Number(argument.trim());
      if (!/^\d+$/.test(argument.trim()) || !Number.isSafeInteger(offset)) {
        throw new ReplyError(501, "REST needs a byte offset");
      }
      session.restOffset = offset;
      await session.reply(350, `Restarting at ${offset}`);
    },
  },
};

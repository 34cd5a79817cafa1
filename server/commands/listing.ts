/**
 * Directory listings: LIST, NLST, MLSD over the data connection; MLST on the
 * control connection.
 *
 * @module
 */

import type { PathStat } from "../../pathio/path_io.ts";
import { join, name as baseName } from "../../pathio/posix.ts";
import type { CommandTable } from "../command.ts";
import { formatFacts, formatListLine } from "../listing.ts";
import { ReplyError, type ServerSession } from "../session.ts";
import { pumpStream } from "../transfer_streams.ts";

/** Listing formats: `ls -l` lines, bare names, or RFC 3659 facts. */
export type ListingFormat = "list" | "nlst" | "mlsd";

/** Drop `ls` options such as `-a` or `-la` that clients put before the path. */
function listPathArgument(argument: string): string {
  let rest = argument.trim();
  while (rest.startsWith("-")) {
    const space = rest.indexOf(" ");
    rest = space < 0 ? "" : rest.slice(space + 1).trimStart();
  }
  return rest;
}

/**
 * The lines describing `input` (a directory's entries, or one file) in
 * `format`, generated lazily so large directories are not held in memory.
 */
export async function listingLines(
  session: ServerSession,
  input: string,
  format: ListingFormat,
): Promise<AsyncIterable<string>> {
  const { virtual, backend } = session.checkedPath(input, "read");
  const io = session.io();
  const stat = await io.stat(backend, session.pathOptions());
  if (format === "mlsd" && stat.type !== "dir") throw new ReplyError(501, "Not a directory");
  const line = (name: string, entryVirtual: string, s: PathStat) => {
    if (format === "list") return formatListLine(name, s);
    if (format === "nlst") return name;
    const p = session.permission(entryVirtual);
    return formatFacts(name, s, {
      facts: session.mlstFacts,
      readable: p.readable,
      writable: p.writable,
    });
  };
  if (stat.type !== "dir") {
    return (async function* () {
      yield line(format === "nlst" ? input.trim() : baseName(virtual), virtual, stat);
    })();
  }
  return (async function* () {
    for await (const entry of io.list(backend, session.pathOptions())) {
      const entryVirtual = join(virtual, entry);
      let s: PathStat;
      try {
        s = await io.stat(join(backend, entry), session.pathOptions());
      } catch {
        continue; // removed meanwhile, or a dangling link
      }
      if (format === "nlst" && input.trim() !== "") yield join(input.trim(), entry);
      else yield line(entry, entryVirtual, s);
    }
  })();
}

function linesStream(
  session: ServerSession,
  lines: AsyncIterable<string>,
): ReadableStream<Uint8Array> {
  const iterator = lines[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = "";
      for (let i = 0; i < 64; i++) {
        const next = await iterator.next();
        if (next.done) {
          if (text) controller.enqueue(session.encode(text));
          controller.close();
          return;
        }
        text += next.value + "\r\n";
      }
      controller.enqueue(session.encode(text));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

async function sendListing(session: ServerSession, argument: string, format: ListingFormat) {
  const input = format === "mlsd" ? argument.trim() : listPathArgument(argument);
  const lines = await listingLines(session, input, format);
  await session.transfer({
    description: `${format.toUpperCase()} ${session.virtualPath(input)}`,
    run: (data, signal, progress) =>
      pumpStream(linesStream(session, lines), data.writable, {
        signal,
        stallTimeoutMs: session.settings.socketTimeout,
        onChunk: (c) => progress(c.byteLength),
      }),
  });
}

/** LIST, NLST, MLSD, MLST. */
export const listingCommands: CommandTable = {
  LIST: { run: (session, arg) => sendListing(session, arg, "list") },
  NLST: { run: (session, arg) => sendListing(session, arg, "nlst") },
  MLSD: { run: (session, arg) => sendListing(session, arg, "mlsd") },
  MLST: {
    async run(session, argument) {
      const { virtual, backend } = session.checkedPath(argument.trim(), "read");
      const stat = await session.io().stat(backend, session.pathOptions());
      const p = session.permission(virtual);
      const facts = formatFacts(virtual, stat, {
        facts: session.mlstFacts,
        readable: p.readable,
        writable: p.writable,
      });
      await session.reply(250, [`Listing ${virtual}`, facts, "End"]);
    },
  },
};

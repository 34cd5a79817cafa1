/**
 * Checksums of files on the server: HASH (draft-bryan-ftpext-hash) and RANG
 * (draft-bryan-ftp-range) for byte ranges.
 *
 * @module
 */

import type { CommandTable } from "../command.ts";
import { createFtpHash, hashToHex } from "../../streams/hash/mod.ts";
import { ReplyError } from "../session.ts";

/** HASH and RANG. */
export const hashCommands: CommandTable = {
  HASH: {
    argument: "required",
    async run(session, input) {
      const { virtual, backend } = session.checkedPath(input, "read");
      const io = session.io();
      const stat = await io.stat(backend, session.pathOptions());
      if (stat.type !== "file") throw new ReplyError(550, "Not a regular file");
      const range = session.hashRange;
      session.hashRange = null;
      const start = range ? range.start : 0;
      const end = range ? Math.min(range.end + 1, stat.size) : stat.size; // exclusive
      if (start > end) throw new ReplyError(556, "Invalid range for this file");
      const hash = createFtpHash(session.hashAlgorithm);
      const handle = await io.open(backend, "read", { ...session.pathOptions(), offset: start });
      try {
        const buffer = new Uint8Array(session.settings.blockSize);
        let left = end - start;
        while (left > 0) {
          const n = await handle.read(buffer.subarray(0, Math.min(buffer.length, left)));
          if (n === null || n === 0) break;
          hash.update(buffer.subarray(0, n));
          left -= n;
        }
      } finally {
        await handle.close();
      }
      const digest = hashToHex(hash.digest());
      await session.reply(213, `${session.hashAlgorithm} ${start}-${end} ${digest} ${virtual}`);
    },
  },
  RANG: {
    argument: "required",
    async run(session, argument) {
      const m = argument.trim().match(/^(\d+) (\d+)$/);
      if (!m) throw new ReplyError(501, "RANG needs a start and an end byte");
      const start = Number(m[1]), end = Number(m[2]);
      if (start === 1 && end === 0) {
        session.hashRange = null;
        await session.reply(350, "Range reset");
        return;
      }
      if (end < start) throw new ReplyError(501, "Range end before start");
      session.hashRange = { start, end };
      await session.reply(350, `Range set to ${start}-${end}`);
    },
  },
};

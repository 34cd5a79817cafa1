/**
 * The built-in command table.
 *
 * @module
 */

import type { CommandTable } from "../command.ts";
import { dataCommands } from "./data.ts";
import { fileCommands } from "./files.ts";
import { hashCommands } from "./hash.ts";
import { infoCommands } from "./info.ts";
import { listingCommands } from "./listing.ts";
import { loginCommands } from "./login.ts";
import { navigationCommands } from "./navigation.ts";
import { securityCommands } from "./security.ts";
import { transferCommands } from "./transfer.ts";

/**
 * A fresh copy of the built-in handlers (aioftp's `commands_mapping`), to
 * extend or override.
 *
 * @example
 * ```ts
 * import { defaultCommands } from "@ftpkit/ftp/server";
 * const commands = defaultCommands();
 * delete commands.DELE; // this server never deletes
 * ```
 */
export function defaultCommands(): CommandTable {
  return {
    ...loginCommands,
    ...securityCommands,
    ...navigationCommands,
    ...fileCommands,
    ...listingCommands,
    ...transferCommands,
    ...dataCommands,
    ...infoCommands,
    ...hashCommands,
  };
}

export { type ListingFormat, listingLines } from "./listing.ts";
export { throttled } from "./transfer.ts";

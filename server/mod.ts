/**
 * ftpkit's FTP server: explicit and implicit FTPS, passive and active mode,
 * MLSD/MLST, HASH, per-user permissions and speed limits, pluggable storage
 * and commands.
 *
 * @example
 * ```ts
 * import { MemoryPathIO } from "@ftpkit/ftp/pathio";
 * import { Permission, Server, User } from "@ftpkit/ftp/server";
 * const server = new Server({
 *   pathIO: new MemoryPathIO(),
 *   users: [new User({ login: "alice", password: "secret", permissions: [new Permission("/")] })],
 * });
 * await server.start("127.0.0.1", 2121);
 * await server.close();
 * ```
 *
 * @module
 */

export * from "./server.ts";
export * from "./options.ts";
export * from "./session.ts";
export * from "./command.ts";
export { defaultCommands, type ListingFormat, listingLines, throttled } from "./commands/mod.ts";
export * from "./user.ts";
export * from "./permission.ts";
export * from "./user_manager.ts";
export * from "./password.ts";
export * from "./events.ts";
export * from "./reply.ts";
export * from "./listing.ts";
export * from "./control_reader.ts";
export * from "./data_channel.ts";
export * from "./transfer_streams.ts";
export * from "./transfer_budget.ts";

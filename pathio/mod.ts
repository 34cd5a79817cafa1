/**
 * The storage layer: the `PathIO` contract, its backends (`MemoryPathIO`,
 * `FsPathIO`), the base class for custom backends (`AbstractPathIO`), Web
 * Streams over file handles, the jail that maps a client's paths onto a
 * user's root, and posix path helpers.
 *
 * @example
 * ```ts
 * import { FsPathIO, resolveVirtualPath, toBackendPath } from "@ftpkit/ftp/pathio";
 * const io = new FsPathIO({ root: "/srv/ftp" });
 * const virtual = resolveVirtualPath("/pub", "../docs/a.txt"); // "/docs/a.txt"
 * console.log(await io.exists(toBackendPath("/", virtual)));
 * ```
 *
 * @module
 */

export * from "./path_io.ts";
export * from "./posix.ts";
export * from "./path_io_error.ts";
export * from "./abstract_path_io.ts";
export * from "./memory_path_io.ts";
export * from "./fs_path_io.ts";
export * from "./file_streams.ts";
export * from "./jail.ts";

/**
 * The storage layer: the `PathIO` contract, its backends, and posix path helpers.
 *
 * @example
 * ```ts
 * import { join } from "@ftpkit/ftp/pathio";
 * console.log(join("/pub", "a.txt"));
 * ```
 *
 * @module
 */

export * from "./path_io.ts";
export * from "./posix.ts";

/**
 * ftpkit's FTP client: `Client` (aioftp's API in camelCase), its transfer
 * streams, and the protocol parsers it uses, exported as helpers.
 *
 * @example
 * ```ts
 * import { Client } from "@ftpkit/ftp/client";
 * await using client = await Client.context("ftp://anonymous:anon@127.0.0.1:2121/");
 * const names = await client.nlst("/");
 * ```
 *
 * @module
 */

export * from "./client.ts";
export * from "./control.ts";
export * from "./data_connection.ts";
export * from "./errors.ts";
export * from "./escape.ts";
export * from "./listing.ts";
export * from "./parse_list.ts";
export * from "./parse_mode.ts";
export * from "./parse_pasv.ts";
export * from "./parse_path.ts";
export * from "./parse_reply.ts";
export * from "./progress.ts";
export * from "./transfer.ts";
export * from "./url.ts";

// The foundation types the client's API names, so that this entry point
// documents them too (the root module exports them already).
export type * from "../streams/connection.ts";
export type { Code } from "../streams/code.ts";
export type { FtpError, StatusCodeError } from "../streams/errors.ts";
export type { Throttle, ThrottleOptions } from "../streams/throttle.ts";
export type * from "../pathio/path_io.ts";

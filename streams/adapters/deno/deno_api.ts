/**
 * The few members of the `Deno` namespace the Deno adapter uses, declared
 * locally so that the code type-checks under `tsc` too, where no Deno types
 * exist.
 *
 * @module
 */

/** `Deno.NetAddr`. */
export interface DenoNetAddr {
  transport: "tcp";
  hostname: string;
  port: number;
}

/** `Deno.Conn` (and `Deno.TlsConn`, which adds `handshake`). */
export interface DenoConn {
  readonly localAddr: DenoNetAddr;
  readonly remoteAddr: DenoNetAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  handshake?(): Promise<{ alpnProtocol: string | null }>;
}

/** `Deno.Listener`. */
export interface DenoListenerApi {
  readonly addr: DenoNetAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}

/** The `Deno` global, as far as this adapter needs it. */
export interface DenoApi {
  listen(options: { hostname: string; port: number; transport?: "tcp" }): DenoListenerApi;
  connect(options: { hostname: string; port: number; transport?: "tcp" }): Promise<DenoConn>;
  startTls(
    conn: DenoConn,
    options: { hostname?: string; caCerts?: string[] },
  ): Promise<DenoConn>;
}

/** The `Deno` global; throws when called outside Deno. */
export function denoApi(): DenoApi {
  const deno = (globalThis as unknown as { Deno?: DenoApi }).Deno;
  if (!deno) throw new TypeError("The deno socket adapter needs the Deno runtime");
  return deno;
}

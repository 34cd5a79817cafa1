/**
 * ftpkit server.
 *
 * @module
 */

export {};

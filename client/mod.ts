/**
 * ftpkit client.
 *
 * @module
 */

export {};

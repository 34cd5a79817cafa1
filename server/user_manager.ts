/**
 * Where the server looks accounts up (aioftp's `AbstractUserManager`).
 *
 * @module
 */

import { passwordsMatch } from "./password.ts";
import { User } from "./user.ts";

/** The answer to `USER name`. */
export type UserLookup =
  /** Logged in at once (e.g. anonymous without password). */
  | { status: "ok"; user: User; message?: string }
  /** Known, now a `PASS` is needed. */
  | { status: "password-required"; user: User; message?: string }
  /** Refused (unknown or barred). */
  | { status: "refused"; message?: string };

/**
 * A source of accounts. Implement it to check logins against a database or
 * a directory service.
 *
 * @example
 * ```ts
 * import { User, type UserLookup, type UserManager } from "@ftpkit/ftp/server";
 * class OneUser implements UserManager {
 *   #user = new User({ login: "bob", password: "pw" });
 *   getUser(login: string): Promise<UserLookup> {
 *     return Promise.resolve(login === "bob"
 *       ? { status: "password-required", user: this.#user }
 *       : { status: "refused" });
 *   }
 *   authenticate(user: User, password: string): Promise<boolean> {
 *     return Promise.resolve(password === user.password);
 *   }
 *   notifyLogout(_user: User): void {}
 * }
 * ```
 */
export interface UserManager {
  /** Look `login` up (the argument of `USER`). */
  getUser(login: string): Promise<UserLookup>;
  /** Check `password` for `user` (the argument of `PASS`). */
  authenticate(user: User, password: string): Promise<boolean>;
  /** Called when a logged-in session ends or logs in again (`REIN`, `USER`). */
  notifyLogout(user: User): void;
}

/**
 * Accounts from a list (aioftp's `MemoryUserManager`). A user with
 * `login: null` serves every unknown name (anonymous access); a user without
 * password logs in at once.
 *
 * @example
 * ```ts
 * import { MemoryUserManager, User } from "@ftpkit/ftp/server";
 * const users = new MemoryUserManager([new User(), new User({ login: "a", password: "b" })]);
 * ```
 */
export class MemoryUserManager implements UserManager {
  readonly #users: readonly User[];

  /**
   * A manager serving `users`.
   * @param users The accounts; by default one anonymous user with full rights.
   */
  constructor(users: readonly User[] = [new User()]) {
    this.#users = users;
  }

  /** The accounts. */
  get users(): readonly User[] {
    return this.#users;
  }

  getUser(login: string): Promise<UserLookup> {
    const user = this.#users.find((u) => u.login === login) ??
      this.#users.find((u) => u.login === null);
    if (!user) return Promise.resolve({ status: "refused", message: "no such user" });
    if (user.password === null && user.login === null) {
      // Anonymous: browsers and curl still send PASS, so ask for it and accept anything.
      return Promise.resolve({
        status: "password-required",
        user,
        message: "anonymous login ok, send any password",
      });
    }
    if (user.password === null) return Promise.resolve({ status: "ok", user });
    return Promise.resolve({ status: "password-required", user });
  }

  async authenticate(user: User, password: string): Promise<boolean> {
    if (user.password === null) return true;
    return await passwordsMatch(password, user.password);
  }

  notifyLogout(_user: User): void {}
}

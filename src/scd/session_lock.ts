/**
 * The Assuan LOCK: one owner per process (stock's `locked_session` in gpg/gnupg:scd/command.c).
 * While a session holds it, other sessions' card commands fail with LOCKED or wait (LOCK --wait).
 * @module
 */

/** Who holds the process-wide LOCK, if anyone. */
export class SessionLock {
  #owner: object | undefined;

  /** Take the lock for `owner`; false when another owner holds it. Re-locking is fine. */
  lock(owner: object): boolean {
    if (this.#owner !== undefined && this.#owner !== owner) return false;
    this.#owner = owner;
    return true;
  }

  /** Release `owner`'s lock: "unlocked", "not-locked" or "locked-by-other". */
  unlock(owner: object): "unlocked" | "not-locked" | "locked-by-other" {
    if (this.#owner === undefined) return "not-locked";
    if (this.#owner !== owner) return "locked-by-other";
    this.#owner = undefined;
    return "unlocked";
  }

  /** True when someone other than `owner` holds the lock (stock `IS_LOCKED`). */
  lockedByOther(owner: object): boolean {
    return this.#owner !== undefined && this.#owner !== owner;
  }

  /** True when `owner` holds the lock. */
  holdsLock(owner: object): boolean {
    return this.#owner === owner;
  }
}

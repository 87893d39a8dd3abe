/**
 * LOCK/UNLOCK (`ssh-add -x`/`-X`): the agent keeps only a salted PBKDF2 hash of the
 * passphrase, compares in constant time, and slows a wrong guess down.
 * @module
 */

import { getLog } from "../log.ts";
import { timingSafeEqual } from "../util/bytes.ts";

const log = getLog("ssh");

/** The agent's lock. */
export class PassphraseLock {
  #lock: { salt: Uint8Array; hash: Uint8Array } | undefined;

  /** True while locked. */
  get locked(): boolean {
    return this.#lock !== undefined;
  }

  /** Lock with `passphrase`; false when locked already. */
  async lock(passphrase: Uint8Array): Promise<boolean> {
    if (this.#lock) return false;
    const salt = crypto.getRandomValues(new Uint8Array(16));
    this.#lock = { salt, hash: await lockHash(salt, passphrase) };
    log.info("Agent locked");
    return true;
  }

  /** Unlock; false when not locked or the passphrase is wrong. */
  async unlock(passphrase: Uint8Array): Promise<boolean> {
    const lock = this.#lock;
    if (!lock) return false;
    if (!timingSafeEqual(await lockHash(lock.salt, passphrase), lock.hash)) {
      log.info("Unlock refused: wrong passphrase");
      // OpenSSH's ssh-agent slows down guessing the same way
      await new Promise((r) => setTimeout(r, 100));
      return false;
    }
    this.#lock = undefined;
    log.info("Agent unlocked");
    return true;
  }
}

/** PBKDF2 of the lock passphrase: only a slow hash of it stays in memory. */
async function lockHash(salt: Uint8Array, passphrase: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    passphrase as Uint8Array<ArrayBuffer>,
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations: 100_000 },
    key,
    256,
  );
  return new Uint8Array(bits);
}

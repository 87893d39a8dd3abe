/**
 * gpg steps the PKCS#11 token tests share: signatures and decryptions by gpg keys whose secret
 * parts are on a token, with the PIN through gpg's loopback mode.
 * @module
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { chrootDir } from "../bed/chroot.ts";
import type { GpgResult } from "../bed/gnupg.ts";
import { haveSoftHsm, SOFTHSM_MODULE } from "../bed/softhsm.ts";

/** gpg in the test's home. */
export type Gpg = (args: string[]) => Promise<GpgResult>;

/** gpg's options that pass `pin` to gpg-agent without a pinentry. */
export function loopback(pin: string): string[] {
  return ["--pinentry-mode", "loopback", "--passphrase", pin];
}

/** Each of `users` makes a detached signature of `message` that gpg verifies (GOODSIG). */
export async function assertSignsAndVerifies(
  gpg: Gpg,
  pin: string,
  message: string,
  users: string[],
): Promise<void> {
  for (const user of users) {
    const sig = `${message}.${user.replaceAll(" ", "_")}.sig`;
    const signed = await gpg([...loopback(pin), "-u", user, "--detach-sign", "-o", sig, message]);
    assertEquals(signed.code, 0, `${user}: ${signed.stderr}`);
    const verified = await gpg(["--verify", sig, message]);
    assert(verified.status.some((l) => l.startsWith("GOODSIG")), `${user}: ${verified.stderr}`);
  }
}

/** `message` encrypted to each of `recipients` decrypts to `text` again. */
export async function assertDecrypts(
  gpg: Gpg,
  pin: string,
  message: string,
  text: string,
  recipients: string[],
): Promise<void> {
  for (const to of recipients) {
    const enc = `${message}.${to.replaceAll(" ", "_")}.gpg`;
    const encrypted = await gpg(["--trust-model", "always", "-r", to, "-e", "-o", enc, message]);
    assertEquals(encrypted.code, 0, `${to}: ${encrypted.stderr}`);
    const decrypted = await gpg([...loopback(pin), "-d", enc]);
    assertEquals(decrypted.code, 0, `${to}: ${decrypted.stderr}`);
    assertEquals(decrypted.stdout, text);
  }
}

/**
 * Whether the SoftHSM2 token e2e can run: scd-ts (stock has no PKCS#11) and SoftHSM2 on the
 * host and, for 2.4, in the trixie chroot, where gpg-agent starts the daemon that loads it
 * (.ci/gnupg_chroot.sh installs it there).
 */
export function softHsmTestsRun(daemon: string, gnupg: string): boolean {
  if (daemon !== "scd-ts" || !haveSoftHsm()) return false;
  if (gnupg !== "2.4") return true;
  try {
    Deno.statSync(`${chrootDir()}${SOFTHSM_MODULE}`);
    return true;
  } catch {
    return false;
  }
}

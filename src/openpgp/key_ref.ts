/**
 * Key references of the OpenPGP application (scd/app-openpgp.c `check_keyidstr`,
 * `do_readkey`): `OPENPGP.1`–`OPENPGP.3` (case-insensitive), a 40-hex keygrip, or
 * `D27600012401…` (32 hex, the card serial) optionally followed by `/<40-hex fingerprint>`.
 * @module
 */

import { InvalidIdError, WrongCardError, WrongSecretKeyError } from "../app/mod.ts";
import { toHex } from "../util/bytes.ts";

/** Key slot index: 0 signature, 1 decryption, 2 authentication. */
export type Slot = 0 | 1 | 2;

/** Usage letters per slot as stock prints them. */
export const SLOT_USAGE = ["sc", "e", "sa"] as const;

/** `OPENPGP.<n>` for slot 0..2. */
export function slotKeyRef(slot: Slot): string {
  return `OPENPGP.${slot + 1}`;
}

/** Slot of `OPENPGP.1..3` (any case), else undefined. */
export function openPgpSlot(ref: string): Slot | undefined {
  const m = /^OPENPGP\.([123])$/i.exec(ref);
  return m ? (Number(m[1]) - 1) as Slot : undefined;
}

/** Whether `s` is exactly 40 hex digits (a keygrip). */
export function isKeygrip(s: string): boolean {
  return /^[0-9A-Fa-f]{40}$/.test(s);
}

/** What {@link checkKeyIdStr} compares against. */
export interface CardIdentity {
  /** Card serial (AID hex, uppercase). */
  serialNo: string;
  /** Keygrips of slots 0..2 (uppercase hex), undefined for empty slots. */
  grips: readonly (string | undefined)[];
  /** Fingerprints of slots 0..2 from DO C5. */
  fingerprints: readonly Uint8Array[];
}

/**
 * `check_keyidstr`: validate a key id for `keyNo` (0 = PIN check only, 1..3 = slot + 1).
 * Returns `useAuth` when, for keyNo 1 with `allowAuth`, the grip is the authentication
 * key's (PKSIGN is then redirected to INTERNAL AUTHENTICATE).
 */
export function checkKeyIdStr(
  idStr: string,
  card: CardIdentity,
  options: { keyNo: 0 | 1 | 2 | 3; allowAuth?: boolean },
): { useAuth: boolean } {
  if (idStr.length < 32) throw new InvalidIdError(`Cannot use key id "${idStr}": too short`);
  const hex = /^[0-9A-Fa-f]*/.exec(idStr)![0];
  const { keyNo } = options;
  if (hex.length === 40) {
    // stock compares the first 40 characters with strncmp, so case matters.
    const grip = idStr.slice(0, 40);
    if (card.grips[keyNo ? keyNo - 1 : 0] === grip) return { useAuth: false };
    if (keyNo === 1 && options.allowAuth && card.grips[2] === grip) return { useAuth: true };
    throw new InvalidIdError(`Cannot use key id ${grip}: no such key on this card`);
  }
  if (hex.length !== 32 || idStr.slice(0, 12).toUpperCase() !== "D27600012401") {
    throw new InvalidIdError(`Cannot use key id "${idStr}": not an OpenPGP card serial number`);
  }
  if (card.serialNo.slice(16, 32).toUpperCase() !== idStr.slice(16, 32).toUpperCase()) {
    throw new WrongCardError(
      `Cannot use key id: card ${card.serialNo} is not ${idStr.slice(0, 32)}`,
    );
  }
  const rest = idStr.slice(32);
  if (rest.startsWith("/") && keyNo) {
    const fpr = rest.slice(1);
    if (!/^[0-9A-Fa-f]{40}$/.test(fpr)) {
      throw new InvalidIdError("Cannot use key id: malformed fingerprint");
    }
    const onCard = card.fingerprints[keyNo - 1];
    if (!onCard || toHex(onCard) !== fpr.toUpperCase()) {
      throw new WrongSecretKeyError(
        "Cannot use key: fingerprint on card does not match the requested one",
      );
    }
  }
  return { useAuth: false };
}

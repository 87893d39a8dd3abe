/**
 * The OpenPGP card-state model: what scd-ts knows about one card between transactions —
 * the application related data (AID, capabilities, key attributes, fingerprints, times),
 * the other DOs read so far, the public keys (or that a slot is empty), and the two values
 * that change by themselves as the card is used: PW status (C4) and the signature counter
 * (7A/93). Commands that only ask about the card are answered from here with no APDU
 * (`OpenPgpApplication`'s query path); every transaction refreshes what it reads.
 *
 * Kept current by:
 * - our own writes: PUT DATA, key import, key generation, PIN change invalidate everything
 *   (session.ts, before the APDU is sent) but the public keys of the slots they leave alone;
 * - our own PIN use: a rejected VERIFY drops C4 (the card decremented a counter we cannot
 *   see); an accepted one leaves C4 only if it already showed the highest count seen (a
 *   correct PIN resets its counter to the maximum, OpenPGP card spec 3.4 §7.2.2);
 * - our own signatures: PSO:CDS increments DO 93 (spec §4.4.3.7 "digital signature
 *   counter"), so a success adds one and a failure drops 7A;
 * - the scd layer: reader events (removal, insertion, swap, pcscd gone), RESET, LEARN
 *   --force, and the model's age limit call {@linkcode CardState.invalidate}.
 *
 * What it cannot see (docs/card-state.md): another program writing to the card between our
 * transactions (`ykman` changing a touch policy, another gpg with stock scdaemon changing the
 * name, signing or entering a wrong PIN). The age limit bounds that; LEARN --force re-reads.
 * @module
 */

import type { ApplicationRelatedData } from "./ard.ts";

/** A DO or public key the card said does not exist. */
const MISSING = new Uint8Array(0);

/** What survives between transactions: DO values, public keys, PW status, counter. */
export class CardState {
  #dos = new Map<number, Uint8Array>();
  #publicKeys = new Map<number, Uint8Array>();
  #ard: ApplicationRelatedData | undefined;
  #lastArd: ApplicationRelatedData | undefined;
  #generation = 0;
  #since: number;
  #now: () => number;
  /** Highest retry count seen per PW status index (4 = PW1, 5 = RC, 6 = PW3). */
  #maxTries = new Map<number, number>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#since = now();
  }

  /** Bumped on every invalidation (lets callers drop derived data such as keygrips). */
  get generation(): number {
    return this.#generation;
  }

  /** When the model was last emptied (ms since the epoch): its age bounds staleness. */
  get since(): number {
    return this.#since;
  }

  /** Parsed DO 6E, if known. */
  get ard(): ApplicationRelatedData | undefined {
    return this.#ard;
  }

  set ard(value: ApplicationRelatedData | undefined) {
    this.#ard = value;
    if (value) this.#lastArd = value;
  }

  /** The last DO 6E read, kept through invalidation: the card's identity, not an answer. */
  get lastArd(): ApplicationRelatedData | undefined {
    return this.#lastArd;
  }

  /** A DO's value; `null` when the card said it does not exist; undefined when unknown. */
  getDo(tag: number): Uint8Array | null | undefined {
    const v = this.#dos.get(tag);
    return v === MISSING ? null : v;
  }

  /** Remember a DO's value, or (`null`) that the card has none. */
  setDo(tag: number, value: Uint8Array | null): void {
    this.#dos.set(tag, value ?? MISSING);
    if (tag === 0xc4 && value) this.#noteTries(value);
  }

  /** Forget one DO (its value may have changed on the card). */
  dropDo(tag: number): void {
    this.#dos.delete(tag);
  }

  /** A slot's public-key response; `null` when the slot is known to be empty. */
  getPublicKey(slot: number): Uint8Array | null | undefined {
    const v = this.#publicKeys.get(slot);
    return v === MISSING ? null : v;
  }

  /** Remember a slot's public-key response, or (`null`) that the slot is empty. */
  setPublicKey(slot: number, response: Uint8Array | null): void {
    this.#publicKeys.set(slot, response ?? MISSING);
  }

  /**
   * The card's verdict on a VERIFY of the PIN at PW status index `index` (4 = PW1, 6 = PW3):
   * after a success C4 stays only if it showed the highest count seen; a failure drops it.
   */
  noteVerify(index: 4 | 5 | 6, accepted: boolean): void {
    const c4 = this.#dos.get(0xc4);
    if (!c4 || c4 === MISSING) return;
    const tries = c4[index];
    if (!accepted || tries === undefined || tries !== this.#maxTries.get(index)) {
      this.dropDo(0xc4);
    }
  }

  /** A PSO:CDS went through (`ok`) or failed: keep the counter in step, or forget it. */
  noteSignature(ok: boolean): void {
    const t = this.#dos.get(0x7a);
    if (!t || t === MISSING) return;
    const at = counterOffset(t);
    if (!ok || at < 0) return this.dropDo(0x7a);
    const n = ((t[at]! << 16) | (t[at + 1]! << 8) | t[at + 2]!) + 1;
    const next = t.slice();
    next[at] = (n >> 16) & 0xff;
    next[at + 1] = (n >> 8) & 0xff;
    next[at + 2] = n & 0xff;
    this.#dos.set(0x7a, next);
  }

  /**
   * Forget everything, or after one of our own writes everything but the public keys it
   * cannot have changed: `keySlot` names the only slot whose key the write touches ("none":
   * no key). Reading them again after every key generation tripled scd-ts's public-key
   * reads against stock's in a three-slot generation (docs/cards.md).
   */
  invalidate(options: { keySlot?: number | "none" } = {}): void {
    this.#dos.clear();
    if (options.keySlot === undefined) this.#publicKeys.clear();
    else if (options.keySlot !== "none") this.#publicKeys.delete(options.keySlot);
    this.#maxTries.clear();
    this.#ard = undefined;
    this.#generation++;
    this.#since = this.#now();
  }

  #noteTries(c4: Uint8Array): void {
    for (const i of [4, 5, 6]) {
      const v = c4[i];
      if (v !== undefined) this.#maxTries.set(i, Math.max(v, this.#maxTries.get(i) ?? 0));
    }
  }
}

/** Offset of DO 93's 3-byte value inside a 7A value (`93 03 xx xx xx`), or -1. */
function counterOffset(t: Uint8Array): number {
  for (let i = 0; i + 4 < t.length; i++) {
    if (t[i] === 0x93 && t[i + 1] === 0x03) return i + 2;
  }
  return -1;
}

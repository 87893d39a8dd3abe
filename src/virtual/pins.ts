/**
 * PIN rules of the virtual card (spec 3.4 §4.3, §7.2.2–7.2.4): retry counters, blocking,
 * length limits, and the VERIFY / CHANGE REFERENCE DATA / RESET RETRY COUNTER commands.
 * PIN values are compared as bytes, so KDF-transformed PINs work unchanged.
 * @module
 */

import { fromHex, timingSafeEqual, toHex } from "../util/bytes.ts";
import {
  SW_AUTH_BLOCKED,
  SW_BAD_DATA,
  SW_INCORRECT_P1P2,
  SW_SECURITY_STATUS,
  SW_WRONG_LENGTH,
} from "../iso7816/sw.ts";
import { type CommandApdu, StatusError } from "./command_apdu.ts";
import { type AppletContext, NO_DATA } from "./context.ts";
import type { Session } from "./session.ts";
import { type CardStore, MAX_TRIES } from "./store.ts";

/** The three secrets: user PIN, resetting code, admin PIN. */
export type Password = "pw1" | "rc" | "pw3";

/** Minimum lengths (spec 3.4 §4.3: PW1 ≥ 6, RC ≥ 8, PW3 ≥ 8); maxima are the profile's C4. */
export const MIN_LENGTH: Readonly<Record<Password, number>> = { pw1: 6, rc: 8, pw3: 8 };
/** The default profile's maximum (C4 bytes 1–3). */
export const MAX_PIN_LENGTH = 127;
const C4_INDEX: Readonly<Record<Password, number>> = { pw1: 0, rc: 1, pw3: 2 };

/** The profile's maximum length of `which` (C4 bytes 1–3). */
function maxLength({ profile }: AppletContext, which: Password): number {
  return profile.maxPinLength[C4_INDEX[which]]!;
}

/** SW 63Cx: verification failed, x tries left. */
export function swTriesLeft(tries: number): number {
  return 0x63c0 | Math.min(tries, 15);
}

/**
 * Compare `candidate` with the stored secret. Success resets the retry counter; a mismatch
 * (any length) decrements it and throws 63Cx; a blocked secret throws 6983 untouched.
 */
export function checkPassword(store: CardStore, which: Password, candidate: Uint8Array): void {
  const s = store.state;
  const stored = s.pins[which];
  if (stored === null) {
    throw new StatusError(SW_SECURITY_STATUS, "Cannot verify: no resetting code");
  }
  if (s.tries[which] === 0) {
    throw new StatusError(SW_AUTH_BLOCKED, `Cannot verify: ${which} blocked`);
  }
  if (!timingSafeEqual(fromHex(stored), candidate)) {
    s.tries[which]--;
    store.save();
    throw new StatusError(swTriesLeft(s.tries[which]), `Wrong ${which}`);
  }
  if (s.tries[which] !== MAX_TRIES) {
    s.tries[which] = MAX_TRIES;
    store.save();
  }
}

/** Reject a new secret outside the length limits with 6A80. */
export function checkNewLength(which: Password, value: Uint8Array, max = MAX_PIN_LENGTH): void {
  if (value.length < MIN_LENGTH[which] || value.length > max) {
    throw new StatusError(SW_BAD_DATA, `Cannot set ${which}: length ${value.length} out of range`);
  }
}

/** Split old ‖ new by the stored secret's length (the card knows it; the host does not say). */
function splitOldNew(stored: string, data: Uint8Array): [Uint8Array, Uint8Array] {
  const n = stored.length / 2;
  return [data.subarray(0, n), data.subarray(Math.min(n, data.length))];
}

function forget(session: Session, which: Password): void {
  if (which === "pw1") session.pw1Sign = session.pw1Other = false;
  if (which === "pw3") session.pw3 = false;
}

/**
 * 7.2.2 VERIFY: P1 00 verify (empty data = status query, on cards that implement it), P1 FF
 * reset the access status — on cards that have it (spec 3.x); others answer P1 FF, or the
 * status query, with the profile's status word.
 */
export function verify(cmd: CommandApdu, { store, session, profile }: AppletContext): Uint8Array {
  const flag = ({ 0x81: "pw1Sign", 0x82: "pw1Other", 0x83: "pw3" } as const)[cmd.p2];
  if (cmd.p1 === 0xff && !profile.capabilities.verifyResetP1FF) {
    throw new StatusError(profile.status.verifyResetUnsupported);
  }
  if (flag === undefined || (cmd.p1 !== 0x00 && cmd.p1 !== 0xff)) {
    throw new StatusError(SW_INCORRECT_P1P2);
  }
  const which: Password = cmd.p2 === 0x83 ? "pw3" : "pw1";
  if (cmd.p1 === 0xff) {
    if (cmd.data.length) throw new StatusError(SW_WRONG_LENGTH);
    session[flag] = false;
    return NO_DATA;
  }
  if (cmd.data.length === 0) {
    const unsupported = profile.status.verifyStatusUnsupported;
    if (unsupported !== null) throw new StatusError(unsupported);
    if (session[flag]) return NO_DATA;
    throw new StatusError(swTriesLeft(store.state.tries[which]));
  }
  try {
    checkPassword(store, which, cmd.data);
  } catch (e) {
    session[flag] = false;
    throw e;
  }
  session[flag] = true;
  return NO_DATA;
}

/** 7.2.3 CHANGE REFERENCE DATA: P2 81 (PW1) or 83 (PW3), data old ‖ new. */
export function changeReferenceData(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x00 || (cmd.p2 !== 0x81 && cmd.p2 !== 0x83)) {
    throw new StatusError(SW_INCORRECT_P1P2);
  }
  const which: Password = cmd.p2 === 0x81 ? "pw1" : "pw3";
  const s = ctx.store.state;
  const [oldValue, newValue] = splitOldNew(s.pins[which]!, cmd.data);
  try {
    checkPassword(ctx.store, which, oldValue);
  } catch (e) {
    forget(ctx.session, which);
    throw e;
  }
  checkNewLength(which, newValue, maxLength(ctx, which));
  s.pins[which] = toHex(newValue);
  ctx.store.save();
  return NO_DATA;
}

/**
 * 7.2.4 RESET RETRY COUNTER for PW1: P1 00 with resetting code ‖ new PW1, or P1 02 with the
 * new PW1 after PW3 was verified.
 */
export function resetRetryCounter(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p2 !== 0x81 || (cmd.p1 !== 0x00 && cmd.p1 !== 0x02)) {
    throw new StatusError(SW_INCORRECT_P1P2);
  }
  const s = ctx.store.state;
  let newPw1 = cmd.data;
  if (cmd.p1 === 0x00 && !ctx.profile.capabilities.resetCode) {
    throw new StatusError(SW_INCORRECT_P1P2, "Cannot reset: the card has no resetting code");
  }
  if (cmd.p1 === 0x00) {
    if (s.pins.rc === null) {
      throw new StatusError(SW_SECURITY_STATUS, "Cannot reset: no resetting code");
    }
    const [code, rest] = splitOldNew(s.pins.rc, cmd.data);
    checkPassword(ctx.store, "rc", code);
    newPw1 = rest;
  } else if (!ctx.session.pw3) {
    throw new StatusError(SW_SECURITY_STATUS, "Cannot reset PW1: PW3 not verified");
  }
  checkNewLength("pw1", newPw1, maxLength(ctx, "pw1"));
  s.pins.pw1 = toHex(newPw1);
  s.tries.pw1 = MAX_TRIES;
  ctx.store.save();
  return NO_DATA;
}

/** PUT DATA D3: set (8..127 bytes) or delete (empty) the resetting code. */
export function putResettingCode(
  store: CardStore,
  value: Uint8Array,
  max = MAX_PIN_LENGTH,
): void {
  if (value.length === 0) {
    store.state.pins.rc = null;
    store.state.tries.rc = 0;
  } else {
    checkNewLength("rc", value, max);
    store.state.pins.rc = toHex(value);
    store.state.tries.rc = MAX_TRIES;
  }
  store.save();
}

/**
 * Capability helpers of the virtual OpenPGP card: the AID layout and the ATR built from
 * historical bytes. The per-card values (historical bytes, C0, 7F66, 7F74, algorithms) are
 * data in profiles/; the default card's are in profiles/openpgp34.ts.
 * @module
 */

import { concat, fromHex } from "../util/bytes.ts";
import { OPENPGP34 } from "./profiles/openpgp34.ts";
import type { CardProfile } from "./profiles/profile.ts";

/** RID ‖ PIX application (OpenPGP spec 3.4, application identifier). */
export const OPENPGP_AID_PREFIX = Uint8Array.of(0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);

/** The full 16-byte AID: prefix ‖ version ‖ manufacturer(2) ‖ serial(4) ‖ RFU 00 00. */
export function buildAid(manufacturer: number, serial: number, version = 0x0304): Uint8Array {
  return concat(
    OPENPGP_AID_PREFIX,
    Uint8Array.of(version >> 8 & 0xff, version & 0xff),
    Uint8Array.of(manufacturer >> 8 & 0xff, manufacturer & 0xff),
    Uint8Array.of(serial >>> 24 & 0xff, serial >>> 16 & 0xff, serial >>> 8 & 0xff, serial & 0xff),
    Uint8Array.of(0x00, 0x00),
  );
}

/**
 * The default card's historical bytes (spec 3.4 §6): category 00; card service data (tag 3);
 * card capabilities (tag 7, 3 bytes; third byte 0x80 command chaining, 0x40 extended Lc/Le —
 * gnupg app-openpgp.c parse_historical reads exactly these bits); status indicator ‖ 90 00.
 */
export const HISTORICAL_BYTES: Uint8Array = fromHex(OPENPGP34.historicalBytes);

/** ATR announcing T=1 with the historical bytes above (ISO 7816-3; TCK present because T=1 is indicated). */
export function buildAtr(historical: Uint8Array = HISTORICAL_BYTES): Uint8Array {
  const head = Uint8Array.of(0x3b, 0x80 | historical.length, 0x80, 0x01);
  const body = concat(head, historical);
  let tck = 0;
  for (let i = 1; i < body.length; i++) tck ^= body[i]!;
  return concat(body, Uint8Array.of(tck));
}

/** Largest special DO (private DOs, login data, URL, KDF-DO) every profile accepts. */
export const MAX_SPECIAL_DO = 0x00ff;

/** Second UIF byte: the feature from 7F74 (button). */
export const UIF_BUTTON = 0x20;

/** Extended APDU limits a card announces in 7F66 (spec 3.4 §4.1.3.1, two 02-02 TLVs). */
export interface ExtendedLimits {
  /** Longest command data (Lc) an extended APDU may carry. */
  command: number;
  /** Longest answer sent at once to an extended APDU; the rest goes through 61xx. */
  response: number;
}

/** The profile's 7F66 limits, or undefined when it announces none. */
export function extendedLimits(profile: CardProfile): ExtendedLimits | undefined {
  const hex = profile.extendedLengthInfo;
  if (hex === null) return undefined;
  const b = fromHex(hex);
  if (b.length !== 8 || b[0] !== 0x02 || b[1] !== 0x02 || b[4] !== 0x02 || b[5] !== 0x02) {
    throw new RangeError(`Cannot read 7F66 "${hex}" of profile ${profile.name}`);
  }
  return { command: (b[2]! << 8) | b[3]!, response: (b[6]! << 8) | b[7]! };
}

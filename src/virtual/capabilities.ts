/**
 * Fixed capability data of the virtual OpenPGP card 3.4: AID layout, historical bytes, ATR,
 * extended capabilities (C0), extended length information (7F66), general feature
 * management (7F74) and the algorithm attributes it offers (FA).
 * @module
 */

import { concat, fromHex } from "../util/bytes.ts";

/** RID ‖ PIX application (OpenPGP spec 3.4, application identifier). */
export const OPENPGP_AID_PREFIX = Uint8Array.of(0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);
/** Specification version announced in the AID: 3.4. */
export const SPEC_VERSION = Uint8Array.of(0x03, 0x04);

/** The full 16-byte AID: prefix ‖ version ‖ manufacturer(2) ‖ serial(4) ‖ RFU 00 00. */
export function buildAid(manufacturer: number, serial: number): Uint8Array {
  return concat(
    OPENPGP_AID_PREFIX,
    SPEC_VERSION,
    Uint8Array.of(manufacturer >> 8 & 0xff, manufacturer & 0xff),
    Uint8Array.of(serial >>> 24 & 0xff, serial >>> 16 & 0xff, serial >>> 8 & 0xff, serial & 0xff),
    Uint8Array.of(0x00, 0x00),
  );
}

/** Life cycle status indicator "operational, activated" (ISO 7816-4 life cycle status byte; spec 3.4 §6). */
export const LCS_OPERATIONAL = 0x05;

/**
 * Historical bytes (spec 3.4 §6): category 00; card service data (tag 3); card capabilities
 * (tag 7, 3 bytes; third byte 0x80 command chaining, 0x40 extended Lc/Le — gnupg
 * app-openpgp.c parse_historical reads exactly these bits); status indicator ‖ 90 00.
 */
export const HISTORICAL_BYTES = Uint8Array.of(
  0x00,
  0x31,
  0xc5,
  0x73,
  0xc0,
  0x01,
  0xc0,
  LCS_OPERATIONAL,
  0x90,
  0x00,
);

/** ATR announcing T=1 with the historical bytes above (ISO 7816-3; TCK present because T=1 is indicated). */
export function buildAtr(historical: Uint8Array = HISTORICAL_BYTES): Uint8Array {
  const head = Uint8Array.of(0x3b, 0x80 | historical.length, 0x80, 0x01);
  const body = concat(head, historical);
  let tck = 0;
  for (let i = 1; i < body.length; i++) tck ^= body[i]!;
  return concat(body, Uint8Array.of(tck));
}

/** Largest GET CHALLENGE answer, cardholder certificate and special DO (C0 bytes 2–7). */
export const MAX_CHALLENGE = 0x0800;
export const MAX_CERTIFICATE = 0x0800;
export const MAX_SPECIAL_DO = 0x00ff;
/** Largest command/response data announced in 7F66. */
export const MAX_APDU_DATA = 0x0c00;

/**
 * Extended capabilities C0 (spec 3.4, DO C0): byte 0 = GET CHALLENGE 0x40 | key import
 * 0x20 | PW1 status changeable 0x10 | private DOs 0x08 | attributes changeable 0x04 |
 * KDF-DO 0x01 (no SM 0x80, no AES 0x02); byte 1 SM algorithm none; then the maxima; PIN
 * block 2 format not supported; MSE not supported.
 */
export const EXTENDED_CAPABILITIES = Uint8Array.of(
  0x7d,
  0x00,
  MAX_CHALLENGE >> 8,
  MAX_CHALLENGE & 0xff,
  MAX_CERTIFICATE >> 8,
  MAX_CERTIFICATE & 0xff,
  MAX_SPECIAL_DO >> 8,
  MAX_SPECIAL_DO & 0xff,
  0x00,
  0x00,
);

/** 7F66 value: 02 02 <max command bytes> 02 02 <max response bytes> (ISO 7816-4 extended length information). */
export const EXTENDED_LENGTH_INFO = Uint8Array.of(
  0x02,
  0x02,
  MAX_APDU_DATA >> 8,
  MAX_APDU_DATA & 0xff,
  0x02,
  0x02,
  MAX_APDU_DATA >> 8,
  MAX_APDU_DATA & 0xff,
);

/** 7F74 value: 81 01 20 = a button for user interaction (gnupg expects "81 01 20"). */
export const GENERAL_FEATURE_MANAGEMENT = Uint8Array.of(0x81, 0x01, 0x20);
/** Second UIF byte: the feature from 7F74 (button). */
export const UIF_BUTTON = 0x20;

/** Default algorithm attributes: RSA 2048, 32-bit exponent field, standard import format. */
export const DEFAULT_ATTRIBUTES = fromHex("010800002000");

const OID_P256 = "2A8648CE3D030107";
const OID_P384 = "2B81040022";
const OID_P521 = "2B81040023";
const OID_ED25519 = "2B06010401DA470F01";
const OID_X25519 = "2B060104019755010501";
const RSA = ["010800002000", "010C00002000", "011000002000"];

/** Attribute candidates per key slot (0 sig, 1 dec, 2 aut), announced in FA when supported. */
export const ATTRIBUTE_CANDIDATES: readonly (readonly string[])[] = [
  [...RSA, "13" + OID_P256, "13" + OID_P384, "13" + OID_P521, "16" + OID_ED25519],
  [...RSA, "12" + OID_P256, "12" + OID_P384, "12" + OID_P521, "12" + OID_X25519],
  [...RSA, "13" + OID_P256, "13" + OID_P384, "13" + OID_P521, "16" + OID_ED25519],
];

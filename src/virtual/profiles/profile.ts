/**
 * The shape of a card profile: everything in which the OpenPGP cards people own differ, as
 * data. The applet reads these fields; it has no per-card code paths. Sources of every value:
 * docs/cards.md.
 * @module
 */

import type { LatencyModel } from "../latency.ts";

/** Algorithm names per key slot (profiles/algorithms.ts: rsa2048 … p256 … ed25519, x25519). */
export interface SlotAlgorithms {
  sig: readonly string[];
  dec: readonly string[];
  aut: readonly string[];
}

/** What the card can do; the e2e tests read this to skip (n/a) what a card lacks. */
export interface ProfileCapabilities {
  /** What C1/C2/C3 accept; the first of each list is the factory default. */
  algorithms: SlotAlgorithms;
  /** PUT DATA C1–C3 changes the algorithm (C0 byte 0 bit 0x04). */
  keyAttrChangeable: boolean;
  /** TERMINATE DF / ACTIVATE FILE exist (gpg's factory-reset). */
  factoryReset: boolean;
  /** VERIFY with P1=FF resets a PIN's verified status (spec 3.4 §7.2.2). */
  verifyResetP1FF: boolean;
  /** The KDF-DO F9 exists (C0 byte 0 bit 0x01). */
  kdf: boolean;
  /** User interaction flag DOs D6–D8 and the button feature 7F74 exist. */
  uif: boolean;
  /** The resetting code (PUT DATA D3, RESET RETRY COUNTER P1=00) exists. */
  resetCode: boolean;
  /** Extended Lc/Le APDUs are accepted (historical bytes card capabilities bit 0x40). */
  extendedLength: boolean;
  /** Command chaining (CLA bit 0x10) is accepted (historical bytes bit 0x80). */
  commandChaining: boolean;
  /** GET CHALLENGE exists (C0 byte 0 bit 0x40). */
  getChallenge: boolean;
  /** MSE SET moves decryption/authentication to key 2 or 3 (C0 byte 9, v3). */
  mseKeySwap: boolean;
  /** Key import with PUT DATA odd 3FFF (C0 byte 0 bit 0x20). */
  keyImport: boolean;
  /** Algorithm information DO FA exists (spec 3.4). */
  algorithmInformation: boolean;
}

/** Status words where cards differ. */
export interface ProfileStatusWords {
  /** Answer to VERIFY P1=FF on a card without it. */
  verifyResetUnsupported: number;
  /** Answer to GET DATA / PUT DATA of a DO the card does not have. */
  unknownDo: number;
  /** Answer to an instruction the card does not have. */
  unknownIns: number;
  /** Answer to an extended-length APDU on a card without extended length. */
  extendedUnsupported: number;
  /** Answer to a chained command on a card without command chaining. */
  chainingUnsupported: number;
}

/** One card family. Hex strings are the exact bytes the card returns. */
export interface CardProfile {
  /** `--profile` name. */
  name: string;
  /** What the profile models (product, firmware). */
  description: string;
  /** OpenPGP application version in the AID (major << 8 | minor), e.g. 0x0304. */
  version: number;
  /** AID bytes 8–9 (manufacturer id, gnupg scd/app-openpgp.c get_manufacturer). */
  manufacturer: number;
  /** ATR, hex; undefined = built from the historical bytes (T=1, 3B 8x 80 01 …). */
  atr?: string;
  /** DO 5F52 historical bytes, hex. */
  historicalBytes: string;
  /** DO C0 extended capabilities, hex (10 bytes on 2.0+ cards). */
  extendedCapabilities: string;
  /** DO 7F66 extended length information, hex; null = the card has no 7F66. */
  extendedLengthInfo: string | null;
  /** DO 7F74 general feature management, hex; null = absent. */
  generalFeatureManagement: string | null;
  /** RSA attribute bytes 3–5 (exponent bits ‖ import format), hex, e.g. "002000". */
  rsaAttributeTail: string;
  /** Factory PW status: PW1 valid for several PSO:CDS (C4 byte 0 = 01). */
  pw1ValidMultiple: boolean;
  /** C4 bytes 1–3: maximum length of PW1, RC, PW3. */
  maxPinLength: readonly [pw1: number, rc: number, pw3: number];
  /** Longest answer sent at once before 61xx + GET RESPONSE, also with extended Le; 0 = no limit. */
  maxResponse: number;
  status: ProfileStatusWords;
  capabilities: ProfileCapabilities;
  /** `--latency real`. */
  latency: LatencyModel;
}

/** The status words most cards give (ISO 7816-4); profiles override what differs. */
export const ISO_STATUS: ProfileStatusWords = {
  verifyResetUnsupported: 0x6a86,
  unknownDo: 0x6a88,
  unknownIns: 0x6d00,
  extendedUnsupported: 0x6700,
  chainingUnsupported: 0x6884,
};

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
  /**
   * Answer to a VERIFY status query (P1 00, no data) on a card that does not implement it;
   * null = answered as spec 3.4 §7.2.2 says (9000 verified, 63Cx not).
   */
  verifyStatusUnsupported: number | null;
  /** Answer to reading the public key (GENERATE P1 81) of an empty slot. */
  noPublicKey: number;
}

/**
 * The fourth key slot some cards have (YubiKey 5.2+: the attestation key, reference 81): its
 * DOs DA (attributes), DB (fingerprint), DD (generation time), D9 (UIF), and its entries in
 * C5, C6, CD and DE. Read-only on the virtual card, as a factory YubiKey returns them.
 */
export interface ExtraKeySlot {
  /** Key reference in DE, e.g. 0x81. */
  keyRef: number;
  /** DA value, hex. */
  attributes: string;
  /** DE key status byte (00 none, 01 generated, 02 imported). */
  status: number;
  /** D9 value, hex. */
  uif: string;
}

/** Which DOs the constructed templates 6E and 73 hold, in the card's order. */
export interface TemplateLayout {
  /** Children of 6E (application related data). */
  application: readonly number[];
  /** Children of 73 (discretionary data objects). */
  discretionary: readonly number[];
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
  /** A fourth key slot (attestation), or null. */
  extraKeySlot: ExtraKeySlot | null;
  /** The order of 6E and 73; DOs the card lacks are left out wherever listed. */
  templates: TemplateLayout;
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
  verifyStatusUnsupported: null,
  noPublicKey: 0x6a88,
};

/** 6E and 73 in the order of spec 3.4 §4.4.3.1 (what the virtual card always sent). */
export const SPEC_TEMPLATES: TemplateLayout = {
  application: [0x4f, 0x5f52, 0x7f66, 0x7f74, 0x73],
  discretionary: [0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xcd, 0xde, 0xd6, 0xd7, 0xd8],
};

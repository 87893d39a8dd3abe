/**
 * APDU builders for the OpenPGP card application, one per command, named and headed by
 * the section of the OpenPGP Smart Card Application spec 3.4 (§7.2) that defines it. Pure:
 * no I/O, caching or PIN logic (session.ts sends, application.ts decides).
 * @module
 */

import type { CommandApdu } from "../iso7816/mod.ts";

/** RID ‖ PIX application prefix of the OpenPGP application (spec §4.2.1). */
export const OPENPGP_AID = Uint8Array.of(0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);

/** PW references for VERIFY and friends (spec §7.2.2). */
export const PW1_SIGN = 0x81;
/** PW1 for decipher, authenticate and private DOs 1/3. */
export const PW1_OTHER = 0x82;
/** PW3, the admin PIN. */
export const PW3 = 0x83;

/** Control reference templates per key slot (spec §7.2.14): B6 sig, B8 dec, A4 aut. */
export const KEY_CRT = [0xb6, 0xb8, 0xa4] as const;

/** 7.2.1 SELECT — the OpenPGP application by AID prefix; P2=0C asks for no FCI. */
export function select(options: { fci?: boolean } = {}): CommandApdu {
  return { cla: 0x00, ins: 0xa4, p1: 0x04, p2: options.fci ? 0x00 : 0x0c, data: OPENPGP_AID };
}

/** 7.2.2 VERIFY — present a PIN for reference 81, 82 or 83. */
export function verify(ref: number, pin: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x20, p1: 0x00, p2: ref, data: pin };
}

/** 7.2.2 VERIFY without data — ask whether the reference is verified (9000) or tries (63Cx). */
export function verifyStatus(ref: number): CommandApdu {
  return { cla: 0x00, ins: 0x20, p1: 0x00, p2: ref };
}

/** 7.2.2 VERIFY with P1=FF — reset the verification status of a reference (v3.0+). */
export function resetVerification(ref: number): CommandApdu {
  return { cla: 0x00, ins: 0x20, p1: 0xff, p2: ref };
}

/** 7.2.3 CHANGE REFERENCE DATA — old ‖ new for PW1 (81) or PW3 (83). */
export function changeReferenceData(ref: number, oldAndNew: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x24, p1: 0x00, p2: ref, data: oldAndNew };
}

/**
 * 7.2.4 RESET RETRY COUNTER — P1=00: resetting code ‖ new PW1; P1=02: new PW1 after a
 * successful VERIFY of PW3.
 */
export function resetRetryCounter(mode: 0x00 | 0x02, data: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0x2c, p1: mode, p2: 0x81, data };
}

/** 7.2.6 GET DATA — a DO by its 1- or 2-byte tag. */
export function getData(tag: number, le: number | "max" = "max"): CommandApdu {
  return { cla: 0x00, ins: 0xca, p1: (tag >> 8) & 0xff, p2: tag & 0xff, le };
}

/** 7.2.8 PUT DATA — write a DO by tag (INS DA). */
export function putData(tag: number, value: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0xda, p1: (tag >> 8) & 0xff, p2: tag & 0xff, data: value };
}

/** 7.2.8 PUT DATA odd (INS DB, P1P2 3FFF) — import a key with an extended header list 4D. */
export function putDataOdd(template: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0xdb, p1: 0x3f, p2: 0xff, data: template };
}

/** 7.2.10 PSO: COMPUTE DIGITAL SIGNATURE — RSA: DigestInfo; ECDSA/EdDSA: the hash. */
export function psoComputeSignature(input: Uint8Array, le: number | "max" = "max"): CommandApdu {
  return { cla: 0x00, ins: 0x2a, p1: 0x9e, p2: 0x9a, data: input, le };
}

/** 7.2.11 PSO: DECIPHER — RSA: 00 ‖ cryptogram; ECDH: A6 {7F49 {86 point}}; AES: 02 ‖ data. */
export function psoDecipher(input: Uint8Array, le: number | "max" = "max"): CommandApdu {
  return { cla: 0x00, ins: 0x2a, p1: 0x80, p2: 0x86, data: input, le };
}

/** 7.2.13 INTERNAL AUTHENTICATE — sign with the authentication key. */
export function internalAuthenticate(input: Uint8Array, le: number | "max" = "max"): CommandApdu {
  return { cla: 0x00, ins: 0x88, p1: 0x00, p2: 0x00, data: input, le };
}

/** 7.2.14 GENERATE ASYMMETRIC KEY PAIR, P1=80 — generate in slot 0..2. */
export function generateKeyPair(slot: number, le: number | "max" = "max"): CommandApdu {
  return { cla: 0x00, ins: 0x47, p1: 0x80, p2: 0x00, data: crt(slot), le };
}

/** 7.2.14 GENERATE ASYMMETRIC KEY PAIR, P1=81 — read the public key of slot 0..2. */
export function readPublicKey(slot: number, le: number | "max" = "max"): CommandApdu {
  return { cla: 0x00, ins: 0x47, p1: 0x81, p2: 0x00, data: crt(slot), le };
}

/** 7.2.5 SELECT DATA of `occurrence` (0–2) of DO 7F21: data 60 { 5C 7F21 } (gnupg's form). */
export function selectCertificate(occurrence: number): CommandApdu {
  return {
    cla: 0x00,
    ins: 0xa5,
    p1: occurrence,
    p2: 0x04,
    data: Uint8Array.of(0x60, 0x04, 0x5c, 0x02, 0x7f, 0x21),
  };
}

/** 7.2.15 GET CHALLENGE — `length` random bytes (1..256 short). */
export function getChallenge(length: number): CommandApdu {
  return { cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: length };
}

/** 7.2.16 TERMINATE DF. */
export function terminateDf(): CommandApdu {
  return { cla: 0x00, ins: 0xe6, p1: 0x00, p2: 0x00 };
}

/** 7.2.17 ACTIVATE FILE. */
export function activateFile(): CommandApdu {
  return { cla: 0x00, ins: 0x44, p1: 0x00, p2: 0x00 };
}

/**
 * YubiKey (firmware 5.2+) GENERATE ATTESTATION for key slot 0–2: `80 FB 0n 00`, no data, no
 * Le (gnupg master scd/app-openpgp.c `do_setattr` GEN-ATTST; developers.yubico.com/PGP/
 * Attestation.html: the statement goes to the slot's cardholder certificate, 7F21).
 */
export function generateAttestation(slot: number): CommandApdu {
  return { cla: 0x80, ins: 0xfb, p1: slot + 1, p2: 0x00 };
}

/** CRT data field `<B6|B8|A4> 00` as gnupg sends it (two bytes). */
function crt(slot: number): Uint8Array {
  const tag = KEY_CRT[slot];
  if (tag === undefined) {
    throw new RangeError(`Cannot address key slot ${slot}: expected 0, 1 or 2`);
  }
  return Uint8Array.of(tag, 0x00);
}

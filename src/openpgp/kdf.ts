/**
 * KDF-DO (F9, spec 3.4 §4.3.2) and the PIN transformation it asks for.
 *
 * Layout gpg writes (g10/card-util.c `gen_kdf_data`): `81 01 <algo>`, `82 01 08` (SHA-256),
 * `83 04 <count>`, `84 08 <salt PW1>`, [`85 08 <salt RC>`, `86 08 <salt PW3>`],
 * `87 20 <hash of default PW1>`, `88 20 <hash of default PW3>` — 90 or 110 bytes.
 * scdaemon (scd/app-openpgp.c `pin2hash_if_kdf`) reads it by fixed offsets: algorithm byte
 * 2 (03 = iterated+salted S2K), count bytes 8–11, salt at 14 (PW1; in the 110-byte form
 * 24 for the reset code and 34 for PW3); any other length is an error. The PIN becomes the
 * 32-byte RFC 4880 §3.7.1.3 iterated+salted S2K with SHA-256. We use the same offsets so
 * our VERIFY bytes equal stock's.
 * @module
 */

import { createHash } from "node:crypto";
import { InvalidDataError } from "../app/mod.ts";
import { concat, readUintBE } from "../util/bytes.ts";
import { findTlv, parseTlvs } from "../iso7816/mod.ts";

/** KDF algorithm byte for iterated+salted S2K. */
export const KDF_ITERSALTED_S2K = 0x03;

/** The KDF-DO is present but cannot be used (gpg-error INV_DATA, as stock). */
export class KdfDataError extends InvalidDataError {
  override name = "KdfDataError";
}

/** Parsed KDF-DO (for display and checks; PIN hashing uses {@link kdfPin}). */
export interface KdfDo {
  raw: Uint8Array;
  /** 00 none, 03 iterated+salted S2K. */
  algorithm: number;
  hashAlgorithm?: number;
  iterations?: number;
  salts: { pw1?: Uint8Array; rc?: Uint8Array; pw3?: Uint8Array };
  initialHashes: { pw1?: Uint8Array; pw3?: Uint8Array };
}

/** Parse the F9 value as TLVs (tolerant: absent fields stay undefined). */
export function parseKdfDo(raw: Uint8Array): KdfDo {
  const get = (tag: number) => findTlv(raw, tag);
  parseTlvs(raw); // throws TlvSyntaxError on malformed data
  const out: KdfDo = {
    raw: raw.slice(),
    algorithm: get(0x81)?.[0] ?? 0,
    salts: {},
    initialHashes: {},
  };
  const hash = get(0x82);
  if (hash?.length) out.hashAlgorithm = hash[0]!;
  const count = get(0x83);
  if (count?.length) out.iterations = readUintBE(count);
  const s1 = get(0x84), s2 = get(0x85), s3 = get(0x86), h1 = get(0x87), h3 = get(0x88);
  if (s1) out.salts.pw1 = s1.slice();
  if (s2) out.salts.rc = s2.slice();
  if (s3) out.salts.pw3 = s3.slice();
  if (h1) out.initialHashes.pw1 = h1.slice();
  if (h3) out.initialHashes.pw3 = h3.slice();
  return out;
}

/** Whether PINs must be hashed: algorithm byte (offset 2) 03 and at least 90 bytes. */
export function kdfEnabled(raw: Uint8Array | undefined): boolean {
  return raw !== undefined && raw.length >= 90 && raw[2] === KDF_ITERSALTED_S2K;
}

/** RFC 4880 §3.7.1.3 iterated+salted S2K with SHA-256, 32-byte output (libgcrypt openpgp_s2k). */
export function iteratedSaltedS2k(pin: Uint8Array, salt: Uint8Array, count: number): Uint8Array {
  if (salt.length !== 8) {
    throw new RangeError(`Cannot run S2K: salt of ${salt.length} bytes, expected 8`);
  }
  const unit = concat(salt, pin);
  let remaining = Math.max(count, unit.length);
  const h = createHash("sha256");
  // Feed whole salt‖pin repetitions in large blocks, then the tail as libgcrypt does.
  const reps = Math.max(1, Math.floor(65536 / unit.length));
  const block = new Uint8Array(unit.length * reps);
  for (let i = 0; i < reps; i++) block.set(unit, i * unit.length);
  while (remaining > unit.length) {
    const n = Math.min(reps, Math.ceil((remaining - unit.length) / unit.length));
    h.update(block.subarray(0, n * unit.length));
    remaining -= n * unit.length;
  }
  h.update(unit.subarray(0, remaining));
  const out = new Uint8Array(h.digest());
  block.fill(0);
  unit.fill(0);
  return out;
}

/**
 * The bytes to send for a PIN: the PIN itself when KDF is off, else its S2K hash with the
 * salt for `chvNo` (0 reset code, 1/2 PW1, 3 PW3). Throws {@link KdfDataError} for an
 * enabled KDF-DO of a length other than 90 or 110.
 */
export function kdfPin(
  kdfDo: Uint8Array | undefined,
  chvNo: 0 | 1 | 2 | 3,
  pin: Uint8Array,
): Uint8Array {
  if (!kdfDo || !kdfEnabled(kdfDo)) return pin.slice();
  let saltAt: number;
  if (kdfDo.length === 90) saltAt = 14;
  else if (kdfDo.length === 110) saltAt = chvNo === 3 ? 34 : chvNo === 0 ? 24 : 14;
  else {throw new KdfDataError(
      `Cannot hash PIN: KDF-DO of ${kdfDo.length} bytes, expected 90 or 110`,
    );}
  const count = readUintBE(kdfDo.subarray(8, 12));
  return iteratedSaltedS2k(pin, kdfDo.subarray(saltAt, saltAt + 8), count);
}

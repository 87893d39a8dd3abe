/**
 * KDF-DO (F9) rules, card side (spec 3.4 §4.3.2): parse and validate the DO, and derive the
 * PIN reference values the card installs when the DO is written. The host sends PINs already
 * transformed, so the card only compares bytes.
 * @module
 */

import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { concat, readUintBE } from "../util/bytes.ts";
import { SW_BAD_DATA } from "../iso7816/sw.ts";
import { parseTlvs, TlvSyntaxError } from "../iso7816/tlv.ts";
import { StatusError } from "./command_apdu.ts";
import { DEFAULT_PW1, DEFAULT_PW3 } from "./store.ts";

/** KDF algorithm byte (tag 81): none, or KDF_ITERSALTED_S2K. */
export const KDF_ALGO_NONE = 0x00;
export const KDF_ALGO_ITERSALTED_S2K = 0x03;
/** Hash algorithm bytes (tag 82, RFC 4880 ids): SHA-256, SHA-512. */
export const KDF_HASH_SHA256 = 0x08;
export const KDF_HASH_SHA512 = 0x0a;

/** A parsed KDF-DO. */
export interface KdfParams {
  algorithm: number;
  hash: number;
  /** Octet count to hash (tag 83). */
  count: number;
  saltPw1: Uint8Array;
  saltRc: Uint8Array | undefined;
  saltPw3: Uint8Array | undefined;
  /** Hash of the default PW1 / PW3 (tags 87, 88), when the host supplied them. */
  initialPw1: Uint8Array | undefined;
  initialPw3: Uint8Array | undefined;
}

/** Parse a KDF-DO value; throws `StatusError(6A80)` when it is malformed. */
export function parseKdfDo(value: Uint8Array): KdfParams {
  const fields = new Map<number, Uint8Array>();
  try {
    for (const t of parseTlvs(value)) fields.set(t.tag, t.value);
  } catch (e) {
    if (e instanceof TlvSyntaxError) throw new StatusError(SW_BAD_DATA, e.message);
    throw e;
  }
  const algo = fields.get(0x81);
  if (algo?.length !== 1) throw bad("tag 81 missing");
  const none: KdfParams = {
    algorithm: KDF_ALGO_NONE,
    hash: 0,
    count: 0,
    saltPw1: new Uint8Array(0),
    saltRc: undefined,
    saltPw3: undefined,
    initialPw1: undefined,
    initialPw3: undefined,
  };
  if (algo[0] === KDF_ALGO_NONE) return none;
  if (algo[0] !== KDF_ALGO_ITERSALTED_S2K) throw bad("unknown algorithm");
  const hash = fields.get(0x82)?.[0];
  if (hash !== KDF_HASH_SHA256 && hash !== KDF_HASH_SHA512) throw bad("unknown hash");
  const count = fields.get(0x83);
  const saltPw1 = fields.get(0x84);
  if (count?.length !== 4 || !saltPw1?.length) throw bad("count or salt missing");
  const digestLength = hash === KDF_HASH_SHA256 ? 32 : 64;
  const initialPw1 = fields.get(0x87);
  const initialPw3 = fields.get(0x88);
  for (const h of [initialPw1, initialPw3]) {
    if (h !== undefined && h.length !== digestLength) {
      throw bad("initial hash has the wrong length");
    }
  }
  return {
    algorithm: KDF_ALGO_ITERSALTED_S2K,
    hash,
    count: readUintBE(count),
    saltPw1,
    saltRc: fields.get(0x85),
    saltPw3: fields.get(0x86),
    initialPw1,
    initialPw3,
  };
}

function bad(what: string): StatusError {
  return new StatusError(SW_BAD_DATA, `Cannot accept KDF-DO: ${what}`);
}

/**
 * The PW1 and PW3 values a card installs after the KDF-DO is written: the default PINs,
 * transformed per the new DO (its 87/88 hashes when present, else computed here).
 */
export function kdfDefaultPins(params: KdfParams): { pw1: Uint8Array; pw3: Uint8Array } {
  if (params.algorithm === KDF_ALGO_NONE) return { pw1: DEFAULT_PW1, pw3: DEFAULT_PW3 };
  return {
    pw1: params.initialPw1 ?? iteratedSaltedS2k(params, DEFAULT_PW1, params.saltPw1),
    pw3: params.initialPw3 ??
      iteratedSaltedS2k(params, DEFAULT_PW3, params.saltPw3 ?? params.saltPw1),
  };
}

/** OpenPGP iterated and salted S2K (RFC 4880 §3.7.1.3) with the DO's hash and octet count. */
export function iteratedSaltedS2k(
  params: Pick<KdfParams, "hash" | "count">,
  secret: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  const unit = concat(salt, secret);
  const h = (params.hash === KDF_HASH_SHA512 ? sha512 : sha256).create();
  let remaining = Math.max(params.count, unit.length);
  // Hash whole copies of salt‖secret from a larger buffer to keep the loop short.
  const copies = Math.max(1, Math.floor(65536 / unit.length));
  const block = new Uint8Array(unit.length * copies);
  for (let i = 0; i < copies; i++) block.set(unit, i * unit.length);
  while (remaining > 0) {
    const take = Math.min(remaining, block.length);
    h.update(block.subarray(0, take));
    remaining -= take;
  }
  return h.digest();
}

/**
 * Key material crossing the card boundary: the public-key template 7F49 returned by
 * GENERATE ASYMMETRIC KEY PAIR (spec 3.4 §7.2.14: 81 n, 82 e | 86 point) and the private
 * key import template 4D for PUT DATA odd (spec §4.4.3.12; gnupg scd/app-openpgp.c
 * `build_privkey_template`, `build_ecc_privkey_template`).
 * @module
 */

import { BadSecretKeyError, CardDataError } from "../app/mod.ts";
import type { EccPrivateKey, EccPublicKey, PublicKey, RsaPrivateKey } from "../formats/mod.ts";
import { findTlv, tlv } from "../iso7816/mod.ts";
import { bigFromBytes, bytesFromBig, modInverse } from "../util/bigint.ts";
import { concat, padStart, stripLeadingZeros } from "../util/bytes.ts";
import {
  type AlgorithmAttributes,
  type EccAttributes,
  isDjbTweak,
  type RsaAttributes,
} from "./algorithm.ts";
import { KEY_CRT } from "./commands.ts";

/** The card's public-key response is unusable (gpg-error CARD, as stock's read_public_key). */
export class KeyMaterialError extends CardDataError {
  override name = "KeyMaterialError";
}

/** The private key does not fit the slot's import format (gpg-error BAD_SECKEY). */
export class ImportTemplateError extends BadSecretKeyError {
  override name = "ImportTemplateError";
}

/**
 * Read a public key from a GENERATE/READ PUBLIC KEY response for slot 0..2 under the
 * slot's attributes. 25519 points get the 0x40 prefix; their flags follow gnupg's rule
 * (`ecc_read_pubkey`): djb-tweak on slot 1 (decryption), eddsa otherwise.
 */
export function parsePublicKeyTemplate(
  response: Uint8Array,
  attr: AlgorithmAttributes,
  slot: number,
): PublicKey {
  const body = findTlv(response, 0x7f49);
  if (!body) throw new KeyMaterialError("Cannot read public key: response lacks 7F49");
  if (attr.type === "rsa") {
    const n = findTlv(body, 0x81);
    const e = findTlv(body, 0x82);
    if (!n || !e) {
      throw new KeyMaterialError("Cannot read RSA public key: modulus or exponent missing");
    }
    return { type: "rsa", n: stripLeadingZeros(n).slice(), e: stripLeadingZeros(e).slice() };
  }
  if (attr.type === "ecc") {
    const point = findTlv(body, 0x86);
    if (!point) throw new KeyMaterialError("Cannot read EC public key: point (86) missing");
    const pk: EccPublicKey = { type: "ecc", curve: attr.curve, q: point.slice() };
    if (isDjbTweak(attr)) {
      pk.q = concat(Uint8Array.of(0x40), point);
      pk.flags = slot === 1 ? "djb-tweak" : "eddsa";
    }
    return pk;
  }
  throw new KeyMaterialError("Cannot read public key: unknown algorithm attributes");
}

/** a^-1 mod m, or the import error when there is none. */
function inverse(a: bigint, m: bigint): bigint {
  const inv = modInverse(a, m);
  if (inv === undefined) {
    throw new ImportTemplateError("Cannot build RSA CRT parameters: values are not coprime");
  }
  return inv;
}

/** u = q⁻¹ mod p, dp = e⁻¹ mod (p−1), dq = e⁻¹ mod (q−1) as gnupg's rsa_writekey derives them. */
export function rsaCrtParams(
  key: RsaPrivateKey,
): { u: Uint8Array; dp: Uint8Array; dq: Uint8Array } {
  const [e, p, q] = [bigFromBytes(key.e), bigFromBytes(key.p), bigFromBytes(key.q)];
  return {
    u: bytesFromBig(inverse(q, p)),
    dp: bytesFromBig(inverse(e, p - 1n)),
    dq: bytesFromBig(inverse(e, q - 1n)),
  };
}

/** `4D { CRT 00, 7F48 {tag len …}, 5F48 values }` around the given parts. */
function template(slot: number, parts: [number, Uint8Array][]): Uint8Array {
  const header = concat(
    ...parts.map(([tag, v]) => concat(Uint8Array.of(tag), lengthBytes(v.length))),
  );
  return tlv(
    0x4d,
    Uint8Array.of(KEY_CRT[slot]!, 0x00),
    tlv(0x7f48, header),
    tlv(0x5f48, ...parts.map(([, v]) => v)),
  );
}

function lengthBytes(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  return Uint8Array.of(0x82, n >> 8, n & 0xff);
}

/**
 * The import template for an RSA key in slot 0..2: e right-aligned to the attribute's e
 * size, p, q, then u, dp, dq for CRT formats and n for the "+n" formats.
 */
export function rsaImportTemplate(
  slot: number,
  attr: RsaAttributes,
  key: RsaPrivateKey,
): Uint8Array {
  if (attr.format > 3) {
    throw new ImportTemplateError(`Cannot import RSA key: unknown import format ${attr.format}`);
  }
  const eLen = Math.ceil(attr.eBits / 8);
  const e = stripLeadingZeros(key.e);
  if (e.length > eLen) {
    throw new ImportTemplateError(`Cannot import RSA key: exponent longer than ${attr.eBits} bits`);
  }
  const parts: [number, Uint8Array][] = [[0x91, padStart(e, eLen)], [0x92, key.p], [0x93, key.q]];
  if (attr.format === 2 || attr.format === 3) {
    const { u, dp, dq } = rsaCrtParams(key);
    parts.push([0x94, u], [0x95, dp], [0x96, dq]);
  }
  if (attr.format === 1 || attr.format === 3) parts.push([0x97, key.n]);
  return template(slot, parts);
}

/**
 * The import template for an ECC key: d zero-padded to the curve size (one extra leading
 * zero tolerated), plus the public point (tag 99) when the attributes end in FF.
 */
export function eccImportTemplate(
  slot: number,
  attr: EccAttributes,
  key: EccPrivateKey,
): Uint8Array {
  const size = Math.ceil(key.curve.bits / 8);
  let d = key.d;
  if (d.length === size + 1 && d[0] === 0) d = d.subarray(1);
  if (d.length > size) {
    throw new ImportTemplateError(`Cannot import ECC key: d longer than ${size} bytes`);
  }
  const parts: [number, Uint8Array][] = [[0x92, padStart(d, size)]];
  if (attr.pubkeyInImport) {
    if (!key.q) {
      throw new ImportTemplateError("Cannot import ECC key: the card wants q and none was given");
    }
    parts.push([0x99, key.q]);
  }
  return template(slot, parts);
}

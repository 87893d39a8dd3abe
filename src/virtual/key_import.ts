/**
 * Key import for the virtual card: the extended header list of PUT DATA odd 3FFF (OpenPGP
 * card spec 3.4 §4.4.3.12):
 *
 * ```
 * 4D { B6|B8|A4 00,  7F48 <tag/length list, no values>,  5F48 <the values, concatenated> }
 * ```
 * RSA tags: 91 e, 92 p, 93 q, 94 u, 95 dp, 96 dq, 97 n. ECC tags: 92 private scalar,
 * 99 public key (only with the FF attribute flag).
 * @module
 */

import { SW_BAD_DATA } from "../iso7816/sw.ts";
import { parseTlvs, readTlv, TlvSyntaxError } from "../iso7816/tlv.ts";
import { padStart, stripLeadingZeros } from "../util/bytes.ts";
import {
  CardCryptoError,
  CURVE_BYTES,
  type EccAlgorithm,
  type KeyAlgorithm,
} from "./crypto_attributes.ts";
import { assembleRsa } from "./crypto_rsa.ts";
import { eccFromPrivate } from "./crypto_ecc.ts";

/** The parsed import template. */
export interface PrivateKeyTemplate {
  /** Control reference template tag: 0xB6 signature, 0xB8 decryption, 0xA4 authentication. */
  crt: number;
  /** Values by their 7F48 tag, in template order. */
  parts: Map<number, Uint8Array>;
}

function bad(why: string, cause?: unknown): CardCryptoError {
  return new CardCryptoError(SW_BAD_DATA, `Cannot parse key import template: ${why}`, { cause });
}

/** Parse a full 4D template; throws CardCryptoError(6A80) when it is malformed. */
export function parsePrivateKeyTemplate(template: Uint8Array): PrivateKeyTemplate {
  try {
    const { tlv: outer, next } = readTlv(template, 0);
    if (outer.tag !== 0x4d) throw bad(`outer tag is ${outer.tag.toString(16)}, not 4D`);
    if (next !== template.length) throw bad(`${template.length - next} bytes after 4D`);
    let crt: number | undefined;
    let list: Uint8Array | undefined;
    let data: Uint8Array | undefined;
    for (const t of parseTlvs(outer.value)) {
      if (t.tag === 0xb6 || t.tag === 0xb8 || t.tag === 0xa4) crt = t.tag;
      else if (t.tag === 0x7f48) list = t.value;
      else if (t.tag === 0x5f48) data = t.value;
    }
    if (crt === undefined) throw bad("no control reference template (B6/B8/A4)");
    if (!list || !data) throw bad("7F48 or 5F48 is missing");
    return { crt, parts: splitValues(list, data) };
  } catch (e) {
    if (e instanceof CardCryptoError) throw e;
    if (e instanceof TlvSyntaxError) throw bad(e.message, e);
    throw e;
  }
}

/** Walk the 7F48 tag/length list (no values) and cut the 5F48 data accordingly. */
function splitValues(list: Uint8Array, data: Uint8Array): Map<number, Uint8Array> {
  const parts = new Map<number, Uint8Array>();
  let i = 0;
  let offset = 0;
  const byte = (): number => {
    if (i >= list.length) throw bad("7F48 list is truncated");
    return list[i++]!;
  };
  while (i < list.length) {
    let tag = byte();
    if ((tag & 0x1f) === 0x1f) tag = (tag << 8) | byte();
    let len = byte();
    if (len === 0x81) len = byte();
    else if (len === 0x82) len = (byte() << 8) | byte();
    else if (len >= 0x80) throw bad(`unsupported length byte ${len.toString(16)} in 7F48`);
    if (parts.has(tag)) throw bad(`tag ${tag.toString(16)} appears twice in 7F48`);
    if (offset + len > data.length) throw bad("5F48 is shorter than the 7F48 list says");
    parts.set(tag, data.subarray(offset, offset + len));
    offset += len;
  }
  if (offset !== data.length) throw bad(`5F48 has ${data.length - offset} extra bytes`);
  return parts;
}

/** Rebuild the key material for `alg` from a parsed template. */
export function importMaterial(
  alg: KeyAlgorithm,
  template: PrivateKeyTemplate,
): Record<string, string> {
  const part = (tag: number): Uint8Array => {
    const v = template.parts.get(tag);
    if (!v || v.length === 0) throw bad(`value ${tag.toString(16)} is missing`);
    return v;
  };
  if (alg.kind === "rsa") {
    return assembleRsa(alg, {
      e: part(0x91),
      p: part(0x92),
      q: part(0x93),
      n: template.parts.get(0x97),
    });
  }
  return eccFromPrivate(alg.curve, eccScalar(alg, part(0x92)));
}

/**
 * The private scalar in the byte order the crypto library wants. gnupg sends an MPI, so
 * leading zeros may be missing (or one extra); X25519 comes big-endian, as OpenPGP stores
 * it, and is reversed to RFC 7748 order (yubikit openpgp.py and Nitrokey opcard do the same).
 */
function eccScalar(alg: EccAlgorithm, value: Uint8Array): Uint8Array {
  const size = CURVE_BYTES[alg.curve];
  let d = value.length > size ? stripLeadingZeros(value) : value;
  if (d.length > size) throw bad(`private scalar has ${d.length} bytes, curve needs ${size}`);
  d = padStart(d, size);
  return alg.curve === "x25519" ? d.slice().reverse() : d;
}

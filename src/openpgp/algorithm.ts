/**
 * Algorithm attributes (DOs C1–C3, spec 3.4 §4.4.3.9/10): RSA `01 ‖ n bits(2) ‖ e bits(2)
 * [‖ import format]`, ECC `algo ‖ OID [‖ 00|FF import format]` with algo 12h ECDH, 13h ECDSA,
 * 16h EdDSA. Parsed the way scdaemon does (scd/app-openpgp.c `parse_algorithm_attribute`),
 * plus the KEY-ATTR and KEY-ATTR-INFO texts it prints.
 * @module
 */

import { type Curve, curveFromOid, curveOid } from "../formats/mod.ts";
import { concat, toHex, uintBE } from "../util/bytes.ts";

/** RSA private key import format byte (C1–C3 byte 5): 0 std, 1 std+n, 2 crt, 3 crt+n. */
export type RsaImportFormat = number;

/** RSA attributes. */
export interface RsaAttributes {
  type: "rsa";
  nBits: number;
  eBits: number;
  /** Card byte: 0 standard, 1 standard with n, 2 CRT, 3 CRT with n (5-byte form: 0). */
  format: RsaImportFormat;
  raw: Uint8Array;
}

/** ECC attributes. */
export interface EccAttributes {
  type: "ecc";
  /** 18 ECDH, 19 ECDSA, 22 EdDSA. */
  algo: 18 | 19 | 22;
  curve: Curve;
  /** Trailing import-format byte FF: the public key goes into the import template (tag 99). */
  pubkeyInImport: boolean;
  raw: Uint8Array;
}

/** Attributes scdaemon cannot interpret (it treats them as RSA with 0 bits). */
export interface UnknownAttributes {
  type: "unknown";
  algo: number;
  raw: Uint8Array;
}

/** Parsed C1/C2/C3. */
export type AlgorithmAttributes = RsaAttributes | EccAttributes | UnknownAttributes;

/** Parse one algorithm attribute DO value. Never throws: odd values become "unknown". */
export function parseAlgorithmAttributes(raw: Uint8Array): AlgorithmAttributes {
  const algo = raw[0] ?? 0;
  if (algo === 1 && (raw.length === 5 || raw.length === 6)) {
    return {
      type: "rsa",
      nBits: (raw[1]! << 8) | raw[2]!,
      eBits: (raw[3]! << 8) | raw[4]!,
      format: raw.length === 6 ? raw[5]! : 0,
      raw: raw.slice(),
    };
  }
  if (algo === 18 || algo === 19 || algo === 22) {
    let oid = raw.subarray(1);
    const last = raw[raw.length - 1];
    const hasFormatByte = last === 0x00 || last === 0xff;
    if (hasFormatByte) oid = oid.subarray(0, oid.length - 1);
    const curve = curveFromOid(oid);
    if (curve) return { type: "ecc", algo, curve, pubkeyInImport: last === 0xff, raw: raw.slice() };
    // Some YubiKey firmware appends a bogus last byte; stock retries without it.
    const trimmed = curveFromOid(raw.subarray(1, raw.length - 1));
    if (trimmed) {
      return { type: "ecc", algo, curve: trimmed, pubkeyInImport: false, raw: raw.slice() };
    }
  }
  return { type: "unknown", algo, raw: raw.slice() };
}

/** Encode attributes for PUT DATA C1–C3. */
export function encodeAlgorithmAttributes(attr: AlgorithmAttributes): Uint8Array {
  if (attr.type === "rsa") {
    return concat(
      Uint8Array.of(1),
      uintBE(attr.nBits, 2),
      uintBE(attr.eBits, 2),
      Uint8Array.of(attr.format),
    );
  }
  if (attr.type === "ecc") {
    const tail = attr.pubkeyInImport ? Uint8Array.of(0xff) : new Uint8Array(0);
    return concat(Uint8Array.of(attr.algo), curveOid(attr.curve), tail);
  }
  return attr.raw.slice();
}

/**
 * The djb-tweak flag of gnupg (ECC_FLAG_DJB_TWEAK): EdDSA on Ed25519 or ECDH on
 * Curve25519. Such cards return a bare 32-byte point that gets a 0x40 prefix.
 */
export function isDjbTweak(attr: AlgorithmAttributes): boolean {
  return attr.type === "ecc" &&
    ((attr.algo === 22 && attr.curve.name === "Ed25519") ||
      (attr.algo === 18 && attr.curve.name === "Curve25519"));
}

/** Which stock version's output to produce. */
export type GnupgFlavor = "2.2" | "2.4";

/**
 * Text after `KEY-ATTR ` for slot 1..3 (scd/app-openpgp.c `send_key_attr`):
 * RSA `<n> 1 rsa<bits> <ebits> <fmt>`, ECC `<n> <algo> <curve>`. `<fmt>` is gnupg's enum
 * (`rsa_key_format_t`: 0 unknown, 1 std, 2 std+n, 3 crt, 4 crt+n), i.e. the card byte
 * plus one — `rsa2048 32 1` for a standard key, as stock traces show. 2.4 prints the card's
 * ECC algorithm byte; 2.2 derives it (18 for slot 2, 22 for djb-tweak curves, else 19).
 */
export function keyAttrText(keyNo: number, attr: AlgorithmAttributes, flavor: GnupgFlavor): string {
  if (attr.type === "ecc") {
    const algo = flavor === "2.4" ? attr.algo : keyNo === 2 ? 18 : isDjbTweak(attr) ? 22 : 19;
    return `${keyNo} ${algo} ${attr.curve.name}`;
  }
  if (attr.type === "rsa") {
    return `${keyNo} 1 rsa${attr.nBits} ${attr.eBits} ${attr.format <= 3 ? attr.format + 1 : 0}`;
  }
  // Stock leaves such a slot typed RSA with 0 bits.
  return `${keyNo} 1 rsa0 0 0`;
}

/**
 * gpg's algorithm string for attributes (KEY-ATTR-INFO, `get_algorithm_attribute_string`):
 * "rsa2048", "ed25519", "nistp256"…; "E_error" for an unknown curve, "unknown_<n>" else.
 */
export function algorithmString(attr: AlgorithmAttributes): string {
  if (attr.type === "rsa") return `rsa${attr.nBits}`;
  if (attr.type === "ecc") return attr.curve.alias;
  if (attr.algo === 18 || attr.algo === 19 || attr.algo === 22) return "E_error";
  return `unknown_${gcryptAlgo(attr.algo)}`;
}

/** libgcrypt's number for an OpenPGP algorithm id (map_openpgp_pk_to_gcry). */
function gcryptAlgo(openpgp: number): number {
  return openpgp < 110 ? openpgp : 0;
}

/** Hex of the raw attributes, for logs. */
export function attributesHex(attr: AlgorithmAttributes): string {
  return toHex(attr.raw);
}

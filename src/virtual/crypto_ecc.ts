/**
 * ECC for the virtual card: NIST P-256/P-384/P-521 (ECDSA, ECDH) on @noble/curves, Ed25519
 * and X25519 on node:crypto. Key material is `{ d, q }` in hex: d the private scalar (NIST:
 * big-endian, curve size; 25519: the RFC 8032/7748 byte string), q the public point as the
 * card shows it in 7F49/86 (NIST: 04 ‖ X ‖ Y; 25519: the raw 32 bytes).
 * @module
 */

import { p256, p384, p521 } from "@noble/curves/nist.js";
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { SW_BAD_DATA, SW_WRONG_LENGTH } from "../iso7816/sw.ts";
import { tlv } from "../iso7816/tlv.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { CardCryptoError, CURVE_BYTES, type CurveName } from "./crypto_attributes.ts";

const NIST = { p256, p384, p521 } as const;
type NistCurve = keyof typeof NIST;
type OkpCurve = "ed25519" | "x25519";

function isNist(curve: CurveName): curve is NistCurve {
  return curve in NIST;
}

// PKCS#8 prefixes (RFC 8410 §7) that wrap a raw 32-byte Ed25519 seed / X25519 scalar, so that
// node:crypto derives the public key for us.
const PKCS8_PREFIX: Readonly<Record<OkpCurve, string>> = {
  ed25519: "302e020100300506032b657004220420",
  x25519: "302e020100300506032b656e04220420",
};
const NODE_NAME: Readonly<Record<OkpCurve, "Ed25519" | "X25519">> = {
  ed25519: "Ed25519",
  x25519: "X25519",
};

const cache = new WeakMap<Record<string, string>, KeyObject>();

function field(material: Record<string, string>, name: "d" | "q"): Uint8Array {
  const v = material[name];
  if (v === undefined) throw new TypeError(`Cannot use ECC key: field "${name}" is missing`);
  return fromHex(v);
}

function okpPrivateKey(curve: OkpCurve, material: Record<string, string>): KeyObject {
  let key = cache.get(material);
  if (!key) {
    const jwk = {
      kty: "OKP",
      crv: NODE_NAME[curve],
      d: Buffer.from(field(material, "d")).toString("base64url"),
      x: Buffer.from(field(material, "q")).toString("base64url"),
    };
    key = createPrivateKey({ key: jwk, format: "jwk" });
    cache.set(material, key);
  }
  return key;
}

function okpMaterial(key: KeyObject): Record<string, string> {
  const jwk = key.export({ format: "jwk" });
  if (typeof jwk.d !== "string" || typeof jwk.x !== "string") {
    throw new TypeError("Cannot export OKP key: JWK lacks d or x");
  }
  return {
    d: toHex(Buffer.from(jwk.d, "base64url")),
    q: toHex(Buffer.from(jwk.x, "base64url")),
  };
}

/** Generate a fresh key pair on `curve`. */
export function generateEcc(curve: CurveName): Record<string, string> {
  if (isNist(curve)) {
    const { secretKey } = NIST[curve].keygen();
    return eccFromPrivate(curve, secretKey);
  }
  if (curve === "ed25519") return okpMaterial(generateKeyPairSync("ed25519").privateKey);
  return okpMaterial(generateKeyPairSync("x25519").privateKey);
}

/** Build material from a private scalar / seed of exactly the curve's size (import). */
export function eccFromPrivate(curve: CurveName, d: Uint8Array): Record<string, string> {
  if (d.length !== CURVE_BYTES[curve]) {
    throw new CardCryptoError(
      SW_BAD_DATA,
      `Cannot import ${curve} key: scalar has ${d.length} bytes`,
    );
  }
  if (isNist(curve)) {
    const c = NIST[curve];
    if (!c.utils.isValidSecretKey(d)) {
      throw new CardCryptoError(SW_BAD_DATA, `Cannot import ${curve} key: scalar out of range`);
    }
    return { d: toHex(d), q: toHex(c.getPublicKey(d, false)) };
  }
  const der = Buffer.concat([Buffer.from(PKCS8_PREFIX[curve], "hex"), d]);
  return okpMaterial(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
}

/** The 7F49 public key template: `86` point (spec §7.2.14). */
export function eccPublicTemplate(material: Record<string, string>): Uint8Array {
  return tlv(0x7f49, tlv(0x86, field(material, "q")));
}

/**
 * Sign `input` as the card does: ECDSA signs the digest it is given (no hashing here) and
 * answers r ‖ s, each the curve size; EdDSA signs the message and answers R ‖ S.
 */
export function eccSign(
  curve: CurveName,
  material: Record<string, string>,
  input: Uint8Array,
): Uint8Array {
  if (input.length === 0) throw new CardCryptoError(SW_WRONG_LENGTH, "Cannot sign: input is empty");
  if (isNist(curve)) {
    return NIST[curve].sign(input, field(material, "d"), { prehash: false });
  }
  if (curve !== "ed25519") {
    throw new CardCryptoError(SW_BAD_DATA, `Cannot sign: ${curve} is a key agreement curve`);
  }
  return new Uint8Array(sign(null, input, okpPrivateKey(curve, material)));
}

/**
 * ECDH with the sender's ephemeral `point`. Returns the shared secret as real cards do:
 * NIST curves the x-coordinate only (field size; gnupg's scd adds the 0x41 prefix, see
 * scd/app-openpgp.c do_decipher), X25519 the raw 32 bytes (scd adds 0x40).
 */
export function eccAgree(
  curve: CurveName,
  material: Record<string, string>,
  point: Uint8Array,
): Uint8Array {
  try {
    if (isNist(curve)) {
      // Compressed form = 02|03 ‖ X: drop the prefix to keep the x-coordinate.
      return NIST[curve].getSharedSecret(field(material, "d"), point, true).subarray(1);
    }
    if (curve !== "x25519") throw new TypeError(`${curve} is not a key agreement curve`);
    if (point.length !== 32) throw new RangeError(`X25519 point has ${point.length} bytes`);
    const publicKey = createPublicKey({
      key: { kty: "OKP", crv: "X25519", x: Buffer.from(point).toString("base64url") },
      format: "jwk",
    });
    return new Uint8Array(diffieHellman({ privateKey: okpPrivateKey(curve, material), publicKey }));
  } catch (e) {
    if (e instanceof CardCryptoError) throw e;
    throw new CardCryptoError(SW_BAD_DATA, `Cannot compute ECDH on ${curve}: invalid point`, {
      cause: e,
    });
  }
}

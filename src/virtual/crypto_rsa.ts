/**
 * RSA for the virtual card, on node:crypto. Key material is kept as the JWK fields
 * (`kty n e d p q dp dq qi`, base64url), which node:crypto imports directly.
 * @module
 */

import {
  constants,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  privateEncrypt,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { SW_BAD_DATA, SW_WRONG_LENGTH } from "../iso7816/sw.ts";
import { tlv } from "../iso7816/tlv.ts";
import { bigFromBytes, bytesFromBig, modInverse } from "../util/bigint.ts";
import { stripLeadingZeros } from "../util/bytes.ts";
import { CardCryptoError, type RsaAlgorithm } from "./crypto_attributes.ts";

/** The public exponent of generated keys (what real cards use). */
const GENERATED_E = 65537;

const cache = new WeakMap<Record<string, string>, KeyObject>();

function privateKey(material: Record<string, string>): KeyObject {
  let key = cache.get(material);
  if (!key) {
    key = createPrivateKey({ key: { ...material, kty: "RSA" }, format: "jwk" });
    cache.set(material, key);
  }
  return key;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function bytesOf(material: Record<string, string>, field: string): Uint8Array {
  const v = material[field];
  if (v === undefined) throw new TypeError(`Cannot use RSA key: field "${field}" is missing`);
  return new Uint8Array(Buffer.from(v, "base64url"));
}

function modulusBytes(material: Record<string, string>): number {
  return stripLeadingZeros(bytesOf(material, "n")).length;
}

/** Generate a fresh key of `alg.nbits` bits with e = 65537. */
export function generateRsa(alg: RsaAlgorithm): Record<string, string> {
  const { privateKey: key } = generateKeyPairSync("rsa", {
    modulusLength: alg.nbits,
    publicExponent: GENERATED_E,
  });
  return jwkMaterial(key);
}

function jwkMaterial(key: KeyObject): Record<string, string> {
  const jwk = key.export({ format: "jwk" });
  const out: Record<string, string> = { kty: "RSA" };
  for (const f of ["n", "e", "d", "p", "q", "dp", "dq", "qi"]) {
    const v = jwk[f as keyof typeof jwk];
    if (typeof v !== "string") throw new TypeError(`Cannot export RSA key: field "${f}" missing`);
    out[f] = v;
  }
  return out;
}

/** The 7F49 public key template: `81` modulus, `82` exponent (spec §7.2.14). */
export function rsaPublicTemplate(material: Record<string, string>): Uint8Array {
  const n = stripLeadingZeros(bytesOf(material, "n"));
  const e = stripLeadingZeros(bytesOf(material, "e"));
  return tlv(0x7f49, tlv(0x81, n), tlv(0x82, e));
}

/**
 * PKCS#1 v1.5 signature (block type 1) over `input`, which the host formats: a DigestInfo for
 * PSO:CDS, raw data for INTERNAL AUTHENTICATE (spec §7.2.10, §7.2.13).
 */
export function rsaSign(material: Record<string, string>, input: Uint8Array): Uint8Array {
  const k = modulusBytes(material);
  if (input.length === 0 || input.length > k - 11) {
    throw new CardCryptoError(
      SW_WRONG_LENGTH,
      `Cannot sign with RSA: input of ${input.length} bytes does not fit a ${k}-byte modulus`,
    );
  }
  const sig = privateEncrypt(
    { key: privateKey(material), padding: constants.RSA_PKCS1_PADDING },
    input,
  );
  return new Uint8Array(sig);
}

/**
 * PSO:DECIPHER for RSA: `input` = padding indicator 00 ‖ cryptogram of modulus length; returns
 * the PKCS#1 v1.5 (block type 2) unpadded plaintext (spec §7.2.11).
 */
export function rsaDecipher(material: Record<string, string>, input: Uint8Array): Uint8Array {
  const k = modulusBytes(material);
  if (input.length !== k + 1) {
    throw new CardCryptoError(
      SW_WRONG_LENGTH,
      `Cannot decipher with RSA: expected ${k + 1} bytes (00 ‖ cryptogram), got ${input.length}`,
    );
  }
  if (input[0] !== 0x00) {
    throw new CardCryptoError(
      SW_BAD_DATA,
      `Cannot decipher with RSA: padding indicator ${input[0]!.toString(16)} is not 00`,
    );
  }
  try {
    const out = privateDecrypt(
      { key: privateKey(material), padding: constants.RSA_PKCS1_PADDING },
      input.subarray(1),
    );
    return new Uint8Array(out);
  } catch (e) {
    throw new CardCryptoError(SW_BAD_DATA, "Cannot decipher with RSA: bad padding", { cause: e });
  }
}

// ---- key import: rebuild the full private key from e, p, q -------------------------------

/** Imported RSA parts: e, p, q are required; n is checked when present. */
export interface RsaParts {
  e: Uint8Array;
  p: Uint8Array;
  q: Uint8Array;
  n?: Uint8Array | undefined;
}

/**
 * Assemble a usable key from e, p, q (the card's import format: the host sends primes, not d;
 * spec §4.4.3.12). n = pq, d = e⁻¹ mod (p−1)(q−1), dp, dq, qi = q⁻¹ mod p.
 */
export function assembleRsa(alg: RsaAlgorithm, parts: RsaParts): Record<string, string> {
  const fail = (why: string): never => {
    throw new CardCryptoError(SW_BAD_DATA, `Cannot import RSA key: ${why}`);
  };
  const e = bigFromBytes(parts.e);
  const p = bigFromBytes(parts.p);
  const q = bigFromBytes(parts.q);
  if (e < 3n || e % 2n === 0n) fail("public exponent is not an odd number ≥ 3");
  if (p < 3n || q < 3n || p === q) fail("primes are missing or equal");
  const n = p * q;
  if (n.toString(2).length !== alg.nbits) {
    fail(`modulus has ${n.toString(2).length} bits, attributes say ${alg.nbits}`);
  }
  if (parts.n && bigFromBytes(parts.n) !== n) fail("modulus does not match p·q");
  const d = modInverse(e, (p - 1n) * (q - 1n)) ?? fail("exponent is not invertible");
  const qi = modInverse(q, p) ?? fail("primes are not coprime");
  const field = (v: bigint) => b64(bytesFromBig(v));
  const material: Record<string, string> = {
    kty: "RSA",
    n: field(n),
    e: field(e),
    d: field(d),
    p: field(p),
    q: field(q),
    dp: field(d % (p - 1n)),
    dq: field(d % (q - 1n)),
    qi: field(qi),
  };
  try {
    privateKey(material);
  } catch (err) {
    throw new CardCryptoError(SW_BAD_DATA, "Cannot import RSA key: rejected by crypto library", {
      cause: err,
    });
  }
  return material;
}

/**
 * The virtual card's key operations, as the applet needs them (OpenPGP card spec 3.4 §7.2.10
 * PSO:CDS, §7.2.11 PSO:DECIPHER, §7.2.13 INTERNAL AUTHENTICATE, §7.2.14 GENERATE, §4.4.3.12
 * key import). Keys are plain JSON (`CardKey`) so the store can persist them as they are.
 *
 * Algorithms: RSA 2048/3072/4096; ECDSA and ECDH on NIST P-256/P-384/P-521; EdDSA on Ed25519;
 * ECDH on X25519. Every failure is a {@linkcode CardCryptoError} carrying the status word.
 * @module
 */

import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import { SW_BAD_DATA, SW_CONDITIONS_OF_USE } from "../iso7816/sw.ts";
import { fromHex } from "../util/bytes.ts";
import { readTlv, TlvSyntaxError } from "../iso7816/tlv.ts";
import {
  ALGO_ECDH,
  ALGO_EDDSA,
  CardCryptoError,
  type EccAlgorithm,
  type KeyAlgorithm,
  parseAttributes,
  supportsAttributes,
} from "./crypto_attributes.ts";
import { generateRsa, rsaDecipher, rsaPublicTemplate, rsaSign } from "./crypto_rsa.ts";
import { eccAgree, eccPublicTemplate, eccSign, generateEcc } from "./crypto_ecc.ts";
import { importMaterial, parsePrivateKeyTemplate } from "./key_import.ts";

export { CardCryptoError, supportsAttributes };

/**
 * A key in a card slot. `attributes` is the C1/C2/C3 value it was made for; `material` holds
 * the private and public parts as strings (RSA: JWK fields; ECC: `d`, `q` in hex).
 */
export interface CardKey {
  attributes: number[];
  material: Record<string, string>;
}

function algorithmOf(key: CardKey): KeyAlgorithm {
  return parseAttributes(Uint8Array.from(key.attributes));
}

/** Generate a key for the given attributes (GENERATE ASYMMETRIC KEY PAIR, P1=80). */
export function generateKey(attr: Uint8Array): CardKey {
  const alg = parseAttributes(attr);
  const material = alg.kind === "rsa" ? generateRsa(alg) : generateEcc(alg.curve);
  return { attributes: Array.from(attr), material };
}

/**
 * Import a key from the full 4D template of PUT DATA odd 3FFF, for the slot whose attributes
 * are `attr`. The public key is always derived from the private parts.
 */
export function importKey(attr: Uint8Array, template: Uint8Array): CardKey {
  const alg = parseAttributes(attr);
  const material = importMaterial(alg, parsePrivateKeyTemplate(template));
  return { attributes: Array.from(attr), material };
}

/** The complete 7F49 public key template (`81` n, `82` e for RSA; `86` point for ECC). */
/** JWK curve names of the virtual card's curves. */
const JWK_CURVE = {
  p256: ["EC", "P-256"],
  p384: ["EC", "P-384"],
  p521: ["EC", "P-521"],
  ed25519: ["OKP", "Ed25519"],
  x25519: ["OKP", "X25519"],
} as const;

/** The key's public part as a DER SubjectPublicKeyInfo (for the attestation statement). */
export function publicKeySpki(key: CardKey): Uint8Array {
  const alg = algorithmOf(key);
  const m = key.material;
  let jwk: Record<string, string>;
  if (alg.kind === "rsa") jwk = { kty: "RSA", n: m.n!, e: m.e! };
  else {
    const q = fromHex(m.q!);
    const [kty, crv] = JWK_CURVE[alg.curve];
    const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
    const half = (q.length - 1) / 2;
    jwk = kty === "OKP"
      ? { kty, crv, x: b64(q) }
      : { kty, crv, x: b64(q.subarray(1, 1 + half)), y: b64(q.subarray(1 + half)) };
  }
  const spki = createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "der" });
  return new Uint8Array(spki);
}

export function publicKeyTemplate(key: CardKey): Uint8Array {
  return algorithmOf(key).kind === "rsa"
    ? rsaPublicTemplate(key.material)
    : eccPublicTemplate(key.material);
}

function signWith(key: CardKey, input: Uint8Array, what: string): Uint8Array {
  const alg = algorithmOf(key);
  if (alg.kind === "rsa") return rsaSign(key.material, input);
  if (alg.algo === ALGO_ECDH) {
    throw new CardCryptoError(SW_CONDITIONS_OF_USE, `Cannot ${what}: the key is an ECDH key`);
  }
  return eccSign(alg.curve, key.material, input);
}

/**
 * PSO:COMPUTE DIGITAL SIGNATURE. RSA: `input` is a DigestInfo, the answer a PKCS#1 v1.5
 * signature; ECDSA: `input` is the digest, the answer r ‖ s; EdDSA: `input` is the message
 * (what gpg sends), the answer R ‖ S.
 */
export function computeSignature(key: CardKey, input: Uint8Array): Uint8Array {
  return signWith(key, input, "compute signature");
}

/** INTERNAL AUTHENTICATE: the same shapes as {@linkcode computeSignature}. */
export function internalAuthenticate(key: CardKey, input: Uint8Array): Uint8Array {
  return signWith(key, input, "authenticate");
}

/**
 * PSO:DECIPHER. RSA: `input` = 00 ‖ cryptogram, the answer the unpadded plaintext. ECDH:
 * `input` = A6 { 7F49 { 86 ephemeral point } }, the answer the shared secret (NIST: the
 * x-coordinate; X25519: 32 raw bytes).
 */
export function decipher(key: CardKey, input: Uint8Array): Uint8Array {
  const alg = algorithmOf(key);
  if (alg.kind === "rsa") return rsaDecipher(key.material, input);
  if (alg.algo !== ALGO_ECDH) {
    const kind = alg.algo === ALGO_EDDSA ? "EdDSA" : "ECDSA";
    throw new CardCryptoError(SW_CONDITIONS_OF_USE, `Cannot decipher: the key is an ${kind} key`);
  }
  return eccAgree(alg.curve, key.material, ephemeralPoint(alg, input));
}

/** Unwrap `A6 { 7F49 { 86 point } }` (spec §7.2.11, ECDH cipher DO). */
function ephemeralPoint(alg: EccAlgorithm, input: Uint8Array): Uint8Array {
  const unwrap = (bytes: Uint8Array, tag: number): Uint8Array => {
    const { tlv, next } = readTlv(bytes, 0);
    if (tlv.tag !== tag || next !== bytes.length) {
      throw new TlvSyntaxError(`expected exactly one ${tag.toString(16).toUpperCase()}`);
    }
    return tlv.value;
  };
  try {
    return unwrap(unwrap(unwrap(input, 0xa6), 0x7f49), 0x86);
  } catch (e) {
    if (!(e instanceof TlvSyntaxError)) throw e;
    throw new CardCryptoError(
      SW_BAD_DATA,
      `Cannot decipher with ${alg.curve}: bad cipher DO: ${e.message}`,
      { cause: e },
    );
  }
}

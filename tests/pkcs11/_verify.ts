/**
 * Checks of what a token signed, against the public key scd-ts reported (gpg's form), with
 * node:crypto and noble: the PKCS#11 tests' verifier.
 * @module
 */

import { constants, createPublicKey, type KeyObject, publicDecrypt, verify } from "node:crypto";
import { Buffer } from "node:buffer";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { encodeDigestInfo, type PublicKey } from "../../src/formats/mod.ts";

/** noble's ECDSA by gpg's curve name. */
export const ECDSA: Record<string, typeof p256> = {
  "NIST P-256": p256,
  "NIST P-384": p384,
  "NIST P-521": p521,
};

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** A node:crypto key from gpg's public-key form. */
export function keyObject(pk: PublicKey): KeyObject {
  if (pk.type === "rsa") {
    return createPublicKey({ key: { kty: "RSA", n: b64(pk.n), e: b64(pk.e) }, format: "jwk" });
  }
  if (pk.flags === "eddsa") {
    return createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: b64(pk.q.subarray(1)) },
      format: "jwk",
    });
  }
  const half = (pk.q.length - 1) / 2;
  const crv = pk.curve.name.slice("NIST ".length); // P-256, P-384, P-521
  return createPublicKey({
    key: { kty: "EC", crv, x: b64(pk.q.subarray(1, 1 + half)), y: b64(pk.q.subarray(1 + half)) },
    format: "jwk",
  });
}

/** PKCS#1 v1.5 check of an RSA signature over a SHA-256 digest. */
export function verifyRsaDigest(key: KeyObject, digest: Uint8Array, sig: Uint8Array): boolean {
  const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, sig);
  return Buffer.compare(recovered, Buffer.from(encodeDigestInfo("sha256", digest))) === 0;
}

/**
 * Whether `sig` is a token's PKSIGN answer over the SHA-256 `digest` for `pk`: PKCS#1 v1.5 for
 * RSA, r‖s for ECDSA (the bare digest), EdDSA over the digest as data.
 */
export function verifyDigestSignature(pk: PublicKey, digest: Uint8Array, sig: Uint8Array) {
  if (pk.type === "rsa") return verifyRsaDigest(keyObject(pk), digest, sig);
  if (pk.flags === "eddsa") return verify(null, digest, keyObject(pk), sig);
  return ECDSA[pk.curve.name]!.verify(sig, digest, pk.q, { prehash: false, lowS: false });
}

/** What PKSIGN is given for `pk` to sign `digest`: a DigestInfo for RSA, else the digest. */
export function signData(pk: PublicKey, digest: Uint8Array): Uint8Array {
  return pk.type === "rsa" ? encodeDigestInfo("sha256", digest) : digest;
}

/**
 * PKAUTH `--challenge-response` (gnupg 2.4): with no input the application makes a random
 * challenge, has the authentication key sign it, and checks the signature itself
 * (scd/app-openpgp.c `gen_challenge`, `do_auth`). ECC challenges are field-size random
 * bytes; RSA ones are a SHA-256/384/512 DigestInfo (by modulus size) over random bytes.
 * @module
 */

import { constants, createPublicKey, publicDecrypt } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { BadSignatureError, NotSupportedError } from "../app/mod.ts";
import { digestInfoPrefix } from "../formats/mod.ts";
import type { PublicKey } from "../formats/mod.ts";
import { concat, equalBytes } from "../util/bytes.ts";
import type { AlgorithmAttributes } from "./algorithm.ts";

/** A fresh challenge for the authentication key's attributes. */
export function makeChallenge(attr: AlgorithmAttributes): Uint8Array {
  if (attr.type === "ecc") {
    return crypto.getRandomValues(new Uint8Array(Math.ceil(attr.curve.bits / 8)));
  }
  const bits = attr.type === "rsa" ? attr.nBits : 0;
  const [hash, n] = bits <= 2048
    ? ["sha256", 32] as const
    : bits <= 3072
    ? ["sha384", 48] as const
    : ["sha512", 64] as const;
  return concat(digestInfoPrefix(hash)!, crypto.getRandomValues(new Uint8Array(n)));
}

function b64url(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

/** Check the card's signature over `challenge`; throws {@link BadSignatureError}. */
export function verifyChallenge(pk: PublicKey, challenge: Uint8Array, signature: Uint8Array): void {
  let ok: boolean;
  if (pk.type === "rsa") {
    const key = createPublicKey({
      key: { kty: "RSA", n: b64url(pk.n), e: b64url(pk.e) },
      format: "jwk",
    });
    try {
      const recovered = new Uint8Array(
        publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature),
      );
      ok = equalBytes(recovered, challenge);
    } catch {
      ok = false;
    }
  } else if (pk.curve.name === "Ed25519") {
    ok = ed25519.verify(signature, challenge, pk.q.length === 33 ? pk.q.subarray(1) : pk.q);
  } else {
    const curve =
      { "NIST P-256": p256, "NIST P-384": p384, "NIST P-521": p521 }[pk.curve.name as string];
    if (!curve) {
      throw new NotSupportedError(`Cannot check a challenge signature on ${pk.curve.name}`);
    }
    ok = curve.verify(signature, challenge, pk.q, { prehash: false });
  }
  if (!ok) {
    throw new BadSignatureError(
      "Cannot confirm authentication: the card's signature does not verify",
    );
  }
}

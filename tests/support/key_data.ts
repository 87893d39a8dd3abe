/**
 * Private keys as gpg-agent sends them to WRITEKEY (the KEYDATA S-expression), for import
 * tests at the application and the Assuan level.
 * @module
 */

import { ed25519 } from "@noble/curves/ed25519.js";
import { encodeSexp, sexpList } from "../../src/formats/mod.ts";
import { concat } from "../../src/util/bytes.ts";

/** A fresh Ed25519 key: its secret, its public point `q` (40 ‖ key) and its KEYDATA. */
export function ed25519KeyData(createdAt: number): {
  secret: Uint8Array;
  q: Uint8Array;
  keyData: Uint8Array;
} {
  const secret = ed25519.utils.randomSecretKey();
  const q = concat(Uint8Array.of(0x40), ed25519.getPublicKey(secret));
  const keyData = encodeSexp(sexpList(
    "private-key",
    sexpList(
      "ecc",
      sexpList("curve", "Ed25519"),
      sexpList("flags", "eddsa"),
      sexpList("q", q),
      sexpList("d", secret),
    ),
    sexpList("created-at", String(createdAt)),
  ));
  return { secret, q, keyData };
}

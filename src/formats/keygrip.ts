/**
 * libgcrypt keygrips (`gcry_pk_get_keygrip`): SHA-1 over key material.
 *
 * RSA (libgcrypt cipher/rsa.c `compute_keygrip`): the exact bytes of the `n` atom, i.e.
 * with the 00 sign byte scdaemon puts before a modulus whose top bit is set.
 * ECC (cipher/ecc.c `compute_keygrip`): `(1:p<len>:…)(1:a…)(1:b…)(1:g…)(1:n…)(1:q…)` with
 * the curve constants as minimal unsigned big-endian, g = 04‖Gx‖Gy, and q as given except:
 * EdDSA on Ed25519 hashes the 32-byte compact point (0x40 prefix dropped), djb-tweak drops
 * a 0x40 prefix from an odd-length q, and compressed Weierstrass points are not supported
 * here (cards return uncompressed points). scdaemon-protocol.md §5.
 * @module
 */

import { sha1 } from "@noble/hashes/legacy.js";
import { concat, fromHex, stripLeadingZeros, toHex, utf8 } from "../util/bytes.ts";
import { curveBasePoint } from "./curves.ts";
import { type PublicKey, publicKeyFromSexp, signedMpi } from "./public_key.ts";
import { findAtom, findSexp, parseSexp, type Sexp } from "./sexp.ts";

/** Keygrip computation is not possible for this key. */
export class KeygripError extends Error {
  override name = "KeygripError";
}

/** Minimal unsigned big-endian (zero is the empty string, as libgcrypt's buffer of 0). */
function minimal(hex: string): Uint8Array {
  const v = stripLeadingZeros(fromHex(hex));
  return v.length === 1 && v[0] === 0 ? new Uint8Array(0) : v;
}

function part(name: string, value: Uint8Array): Uint8Array {
  return concat(utf8(`(1:${name}${value.length}:`), value, utf8(")"));
}

/** The 20-byte keygrip of a public key. */
export function keygrip(pk: PublicKey): Uint8Array {
  if (pk.type === "rsa") return sha1(signedMpi(pk.n));
  const { curve } = pk;
  let q = pk.q;
  if (pk.flags === "eddsa" && curve.name === "Ed25519") {
    if (q.length === 33 && q[0] === 0x40) q = q.subarray(1);
    else if (q.length !== 32) {
      throw new KeygripError(
        `Cannot compute keygrip: Ed25519 point of ${q.length} bytes is not compact`,
      );
    }
  } else if (pk.flags === "djb-tweak") {
    if (q.length > 1 && q.length % 2 === 1 && q[0] === 0x40) q = q.subarray(1);
  } else if (curve.model === "weierstrass" && q.length > 1 && (q[0] === 0x02 || q[0] === 0x03)) {
    throw new KeygripError("Cannot compute keygrip: compressed points are not supported");
  }
  const p = curve.params;
  return sha1(concat(
    part("p", minimal(p.p)),
    part("a", minimal(p.a)),
    part("b", minimal(p.b)),
    part("g", curveBasePoint(curve)),
    part("n", minimal(p.n)),
    part("q", q),
  ));
}

/** Keygrip as 40 uppercase hex digits (the form gpg prints). */
export function keygripHex(pk: PublicKey): string {
  return toHex(keygrip(pk));
}

/**
 * Keygrip of a canonical public-key S-expression. RSA hashes the `n` atom exactly as
 * written (so a modulus without the 00 sign byte gives a different grip, as in libgcrypt).
 */
export function keygripFromSexp(bytes: Uint8Array | Sexp): Uint8Array {
  const node = bytes instanceof Uint8Array ? parseSexp(bytes) : bytes;
  const rsa = findSexp(node, "rsa");
  if (rsa) {
    const n = findAtom(rsa, "n");
    if (!n) throw new KeygripError("Cannot compute keygrip: RSA key without n");
    return sha1(n);
  }
  return keygrip(publicKeyFromSexp(node));
}

/**
 * Public keys as gpg-agent sees them: the S-expressions scdaemon's READKEY sends
 * (scd/app-openpgp.c `rsa_read_pubkey`, `ecc_read_pubkey`) and the algorithm strings of
 * KEYPAIRINFO (gnupg common/sexputil.c `pubkey_algo_string`).
 * @module
 */

import { stripLeadingZeros } from "../util/bytes.ts";
import { type Curve, findCurve } from "./curves.ts";
import {
  atomText,
  encodeSexp,
  findAtom,
  findSexp,
  parseSexp,
  type Sexp,
  sexpList,
  SexpSyntaxError,
} from "./sexp.ts";

/** ECC flags that change how q is read (and hashed into the keygrip). */
export type EccFlag = "eddsa" | "djb-tweak";

/** An RSA public key; n and e unsigned big-endian without leading zeros. */
export interface RsaPublicKey {
  type: "rsa";
  n: Uint8Array;
  e: Uint8Array;
}

/** An ECC public key; q exactly as gpg's S-expression carries it (0x40-prefixed for 25519). */
export interface EccPublicKey {
  type: "ecc";
  curve: Curve;
  q: Uint8Array;
  flags?: EccFlag;
}

/** A public key read from a card. */
export type PublicKey = RsaPublicKey | EccPublicKey;

/** Signed big-endian MPI bytes: leading zeros dropped, one 00 added when the top bit is set. */
export function signedMpi(value: Uint8Array): Uint8Array {
  let v = stripLeadingZeros(value);
  if (v.length === 1 && v[0] === 0) v = new Uint8Array(0);
  if (v.length > 0 && v[0]! & 0x80) {
    const out = new Uint8Array(v.length + 1);
    out.set(v, 1);
    return out;
  }
  return v.slice();
}

/** The public key as an S-expression tree, as scdaemon builds it. */
export function publicKeyToSexp(pk: PublicKey): Sexp[] {
  if (pk.type === "rsa") {
    return sexpList(
      "public-key",
      sexpList("rsa", sexpList("n", signedMpi(pk.n)), sexpList("e", signedMpi(pk.e))),
    );
  }
  const body: Sexp[] = sexpList("ecc", sexpList("curve", pk.curve.name));
  if (pk.flags) body.push(sexpList("flags", pk.flags));
  body.push(sexpList("q", pk.q));
  return sexpList("public-key", body);
}

/** Canonical S-expression of the public key (READKEY's D data). */
export function encodePublicKey(pk: PublicKey): Uint8Array {
  return encodeSexp(publicKeyToSexp(pk));
}

/** Parse a canonical `(public-key (rsa|ecc …))` S-expression. */
export function parsePublicKey(bytes: Uint8Array): PublicKey {
  return publicKeyFromSexp(parseSexp(bytes));
}

/** Read a public key from a parsed S-expression (`public-key` or bare algorithm list). */
export function publicKeyFromSexp(node: Sexp): PublicKey {
  const rsa = findSexp(node, "rsa");
  if (rsa) {
    const n = findAtom(rsa, "n");
    const e = findAtom(rsa, "e");
    if (!n || !e) throw new SexpSyntaxError("Cannot read RSA public key: n or e missing");
    return { type: "rsa", n: stripLeadingZeros(n).slice(), e: stripLeadingZeros(e).slice() };
  }
  const ecc = findSexp(node, "ecc") ?? findSexp(node, "ecdsa") ?? findSexp(node, "eddsa");
  if (!ecc) throw new SexpSyntaxError("Cannot read public key: neither rsa nor ecc");
  const curveName = atomText(findAtom(ecc, "curve"));
  const q = findAtom(ecc, "q");
  if (!curveName || !q) throw new SexpSyntaxError("Cannot read ECC public key: curve or q missing");
  const curve = findCurve(curveName);
  if (!curve) throw new SexpSyntaxError(`Cannot read ECC public key: unknown curve "${curveName}"`);
  const flags = readFlags(ecc);
  const pk: EccPublicKey = { type: "ecc", curve, q: q.slice() };
  if (flags) pk.flags = flags;
  return pk;
}

/** The first eddsa/djb-tweak flag of an algorithm list, if any. */
export function readFlags(list: Sexp[]): EccFlag | undefined {
  const f = findSexp(list, "flags");
  for (const atom of f?.slice(1) ?? []) {
    const t = atomText(atom);
    if (t === "eddsa" || t === "djb-tweak") return t;
  }
  return undefined;
}

/** Size of the RSA modulus in bits. */
export function rsaBits(n: Uint8Array): number {
  const v = stripLeadingZeros(n);
  if (v.length === 0 || v[0] === 0) return 0;
  return (v.length - 1) * 8 + (32 - Math.clz32(v[0]!));
}

/**
 * gpg's algorithm string for KEYPAIRINFO: "rsa2048", "ed25519", "cv25519", "nistp256",
 * "brainpoolP256r1", … (`pubkey_algo_string`).
 */
export function publicKeyAlgoString(pk: PublicKey): string {
  return pk.type === "rsa" ? `rsa${rsaBits(pk.n)}` : pk.curve.alias;
}

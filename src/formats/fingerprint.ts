/**
 * OpenPGP v4 fingerprints (RFC 4880 §12.2) as scdaemon computes them when it generates or
 * imports a key (scd/app-openpgp.c `store_fpr`): SHA-1 over
 * `99 ‖ len(2) ‖ 04 ‖ created(4) ‖ algo ‖ material`, where RSA material is MPI(n) ‖ MPI(e)
 * and ECC material is len ‖ OID ‖ MPI(q) [‖ KDF params for ECDH]. The MPI bit count of q
 * counts from the first byte as is (`count_sos_bits`: the 0x40 prefix of 25519 points is
 * part of the value).
 * @module
 */

import { sha1 } from "@noble/hashes/legacy.js";
import { concat, stripLeadingZeros, uintBE } from "../util/bytes.ts";
import { type Curve, curveOid } from "./curves.ts";
import type { PublicKey } from "./public_key.ts";

/** OpenPGP public-key algorithm ids (RFC 4880 §9.1, RFC 6637). */
export const PUBKEY_ALGO = { RSA: 1, ECDH: 18, ECDSA: 19, EDDSA: 22 } as const;

/**
 * The KDF parameters gnupg writes for ECDH keys it did not get explicitly (`ecdh_params`,
 * RFC 6637 §9): 03 01 ‖ hash ‖ cipher, by curve size.
 */
export function defaultEcdhParams(curve: Curve): Uint8Array {
  if (curve.bits <= 256) return Uint8Array.of(3, 1, 8, 7); // SHA-256, AES-128
  if (curve.bits <= 384) return Uint8Array.of(3, 1, 9, 9); // SHA-384, AES-256
  return Uint8Array.of(3, 1, 10, 9); // SHA-512, AES-256
}

/**
 * gnupg 2.2's KDF parameters for ECDH keys (g10/ecdh.c `kek_params_table` and scd's
 * `ecdh_params` in 2.2.40): like {@link defaultEcdhParams} but AES-192 for curves up to 384
 * bits. Keys made by gpg 2.2 carry these.
 */
export function gnupg22EcdhParams(curve: Curve): Uint8Array {
  if (curve.bits > 256 && curve.bits <= 384) return Uint8Array.of(3, 1, 9, 8); // SHA-384, AES-192
  return defaultEcdhParams(curve);
}

/** Bits of an unsigned number, ignoring leading zero bytes (`count_bits`). */
function countBits(v: Uint8Array): number {
  const s = stripLeadingZeros(v);
  if (s.length === 0 || s[0] === 0) return 0;
  return (s.length - 1) * 8 + (32 - Math.clz32(s[0]!));
}

/** Bits of an SOS value: leading zero bytes count fully (`count_sos_bits`). */
function countSosBits(v: Uint8Array): number {
  if (v.length === 0 || v[0] === 0) return v.length * 8;
  return (v.length - 1) * 8 + (32 - Math.clz32(v[0]!));
}

function mpi(bits: number, value: Uint8Array): Uint8Array {
  return concat(uintBE(bits, 2), value);
}

/** Options for {@link v4Fingerprint}. */
export interface FingerprintOptions {
  /** OpenPGP algorithm id; default: RSA 1; ECC 22 (EdDSA) on Edwards curves, 18 (ECDH) on
   * Montgomery curves, else 19 (ECDSA). */
  algo?: number;
  /** ECDH KDF parameters (03 01 hash cipher); default {@link defaultEcdhParams}. */
  kdfParams?: Uint8Array;
}

/** The v4 key packet body (without the 99 ‖ length header). */
export function v4KeyMaterial(
  pk: PublicKey,
  created: number,
  options: FingerprintOptions = {},
): Uint8Array {
  if (pk.type === "rsa") {
    const n = stripLeadingZeros(pk.n);
    const e = stripLeadingZeros(pk.e);
    return concat(
      Uint8Array.of(4),
      uintBE(created, 4),
      Uint8Array.of(options.algo ?? PUBKEY_ALGO.RSA),
      mpi(countBits(n), n),
      mpi(countBits(e), e),
    );
  }
  const algo = options.algo ??
    (pk.curve.model === "edwards"
      ? PUBKEY_ALGO.EDDSA
      : pk.curve.model === "montgomery"
      ? PUBKEY_ALGO.ECDH
      : PUBKEY_ALGO.ECDSA);
  const oid = curveOid(pk.curve);
  const parts = [
    Uint8Array.of(4),
    uintBE(created, 4),
    Uint8Array.of(algo),
    Uint8Array.of(oid.length),
    oid,
    mpi(countSosBits(pk.q), pk.q),
  ];
  if (algo === PUBKEY_ALGO.ECDH) parts.push(options.kdfParams ?? defaultEcdhParams(pk.curve));
  return concat(...parts);
}

/** The 20-byte v4 fingerprint. */
export function v4Fingerprint(
  pk: PublicKey,
  created: number,
  options: FingerprintOptions = {},
): Uint8Array {
  const body = v4KeyMaterial(pk, created, options);
  const packet = concat(Uint8Array.of(0x99), uintBE(body.length, 2), body);
  return sha1(packet);
}

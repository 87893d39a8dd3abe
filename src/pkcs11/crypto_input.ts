/**
 * What C_Sign/C_Decrypt get from PKSIGN/PKAUTH/PKDECRYPT data, and which mechanism. gpg-agent
 * sends PKSIGN a DigestInfo (2.2) or a bare digest with `--hash` (scdaemon-protocol.md §3
 * PKSIGN); CKM_RSA_PKCS wants the DigestInfo (it adds only the PKCS#1 v1.5 padding, v2.40
 * §2.1.6), CKM_ECDSA the bare digest (§2.3.6) and CKM_EDDSA the message itself (v3.0 §2.3.14),
 * which for OpenPGP is the digest and for ssh the data to sign. Pure functions.
 * @module
 */

import { InvalidValueError, NotSupportedError } from "../app/mod.ts";
import { CKM_ECDSA, CKM_EDDSA, CKM_RSA_PKCS } from "../../ffi/mod.ts";
import {
  DIGEST_LENGTH,
  digestInfoPrefix,
  HASH_ALGOS,
  type HashAlgo,
  type PublicKey,
  rsaBits,
  stripDigestInfo,
} from "../formats/mod.ts";
import { concat, stripLeadingZeros } from "../util/bytes.ts";

/** The signing (or decryption) mechanism of a key. */
export function mechanismOf(key: PublicKey): number {
  if (key.type === "rsa") return CKM_RSA_PKCS;
  return key.flags === "eddsa" ? CKM_EDDSA : CKM_ECDSA;
}

/** The digest inside a DigestInfo of any known hash, else undefined. */
function anyDigest(data: Uint8Array): Uint8Array | undefined {
  for (const hash of HASH_ALGOS) {
    const digest = stripDigestInfo(hash, data);
    if (digest) return digest;
  }
  return undefined;
}

/** PKSIGN data → C_Sign input. */
export function signInput(key: PublicKey, hash: HashAlgo, data: Uint8Array): Uint8Array {
  if (key.type === "rsa") {
    if (hash === "none" || stripDigestInfo(hash, data)) return data;
    if (data.length === DIGEST_LENGTH[hash]) return concat(digestInfoPrefix(hash)!, data);
    throw new InvalidValueError(`Cannot sign: ${data.length} bytes are no ${hash} digest`);
  }
  return stripDigestInfo(hash, data) ?? data;
}

/**
 * PKAUTH data → C_Sign input: RSA as given, ECDSA without a DigestInfo, EdDSA without the SHA-1
 * DigestInfo prefix gpg-agent puts before the data it wants signed for ssh (seen in its PKAUTH
 * traces; stock app-openpgp.c `do_auth` drops those 15 bytes from every EdDSA input).
 */
export function authInput(key: PublicKey, data: Uint8Array): Uint8Array {
  if (key.type === "rsa") return data;
  if (key.flags === "eddsa") {
    const prefix = digestInfoPrefix("sha1")!;
    const prefixed = data.length >= prefix.length &&
      prefix.every((b, i) => data[i] === b);
    return prefixed ? data.subarray(prefix.length) : data;
  }
  return anyDigest(data) ?? data;
}

/**
 * PKDECRYPT data of an ECDH key → the other side's point for CKM_ECDH1_DERIVE: gpg sends the
 * uncompressed ephemeral point (04‖x‖y) for NIST curves, 0x40 ‖ the native u-coordinate for
 * Curve25519, whose 32 bytes are what X25519 takes (v3.0 §2.3.7; SoftHSM and OpenSC take them
 * bare).
 */
export function ecdhPoint(key: PublicKey, data: Uint8Array): Uint8Array {
  if (key.type !== "ecc" || key.flags === "eddsa") {
    throw new NotSupportedError("Cannot do ECDH with this key");
  }
  if (key.flags === "djb-tweak") {
    if (data.length !== 33 || data[0] !== 0x40) {
      throw new InvalidValueError(`Cannot decrypt: ${data.length} bytes are no Curve25519 point`);
    }
    return data.subarray(1);
  }
  if (data.length !== key.q.length || data[0] !== 0x04) {
    throw new InvalidValueError(`Cannot decrypt: ${data.length} bytes are no point on the curve`);
  }
  return data;
}

/**
 * The ECDH result as gpg-agent takes it from a card: 0x41 ‖ x, libgcrypt's mark of an x-only
 * point, or 0x40 ‖ the shared secret for Curve25519 (stock app-openpgp `do_decipher` adds
 * these prefixes to what the card returns).
 */
export function ecdhResult(x: Uint8Array, key?: PublicKey): Uint8Array {
  const djb = key?.type === "ecc" && key.flags === "djb-tweak";
  return concat(Uint8Array.of(djb ? 0x40 : 0x41), x);
}

/**
 * PKDECRYPT data → C_Decrypt input: an RSA cryptogram of exactly the modulus' length (gpg
 * drops leading zeros, or sends one 00 more).
 */
export function decryptInput(key: PublicKey, data: Uint8Array): Uint8Array {
  if (key.type !== "rsa") throw new NotSupportedError("Cannot decrypt with this key");
  const size = Math.ceil(rsaBits(key.n) / 8);
  const value = stripLeadingZeros(data);
  if (value.length > size) throw new InvalidValueError("Cannot decrypt: cryptogram too long");
  return concat(new Uint8Array(size - value.length), value);
}

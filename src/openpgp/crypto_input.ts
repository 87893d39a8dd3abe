/**
 * How PKSIGN/PKAUTH/PKDECRYPT data is reshaped for the card and back, exactly as stock
 * scdaemon does it (scd/app-openpgp.c `do_sign`, `do_auth`, `do_decipher`). Pure functions.
 * @module
 */

import { InvalidValueError, UnsupportedAlgorithmError } from "../app/mod.ts";
import { digestInfoPrefix, type HashAlgo, stripDigestInfo } from "../formats/mod.ts";
import { tlv } from "../iso7816/mod.ts";
import { concat } from "../util/bytes.ts";
import { type AlgorithmAttributes, isDjbTweak } from "./algorithm.ts";

/**
 * The plain digest inside PKSIGN data: 20 bytes are taken as a SHA-1/RMD160 digest; a
 * DigestInfo for `hash` is stripped (SHA-224 and up only on v2+ cards); 28/32/48/64 raw
 * bytes pass on v2+ cards; anything else is refused.
 */
export function signDigest(hash: HashAlgo, data: Uint8Array, isV2: boolean): Uint8Array {
  if (data.length === 20) return data;
  const modern = hash === "sha224" || hash === "sha256" || hash === "sha384" || hash === "sha512";
  if (hash === "sha1" || hash === "rmd160" || (modern && isV2)) {
    const digest = stripDigestInfo(hash, data);
    if (digest) return digest;
  }
  if (isV2 && [28, 32, 48, 64].includes(data.length)) return data;
  throw new InvalidValueError(
    `Cannot sign: card does not support digest algorithm ${hash} for ${data.length} bytes`,
  );
}

/**
 * What PSO:CDS (or the redirected INTERNAL AUTHENTICATE) gets: RSA keys and the
 * authentication-key redirect take prefix(hash) ‖ digest again, ECC keys the bare digest.
 */
export function signCardInput(
  hash: HashAlgo,
  digest: Uint8Array,
  options: { withDigestInfo: boolean; isV2: boolean },
): Uint8Array {
  if (!options.withDigestInfo) return digest;
  const modern = hash === "sha224" || hash === "sha256" || hash === "sha384" || hash === "sha512";
  const prefix = hash === "sha1" || hash === "rmd160" || (modern && options.isV2)
    ? digestInfoPrefix(hash)
    : undefined;
  if (!prefix) {
    throw new UnsupportedAlgorithmError(`Cannot sign: no DigestInfo for ${hash} on this card`);
  }
  return concat(prefix, digest);
}

/**
 * INTERNAL AUTHENTICATE input from PKAUTH data (`do_auth`): RSA data must stay within 40%
 * of the modulus (the card pads); for ECC a 51/67/83-byte input (SHA-256/384/512
 * DigestInfo) loses its 19-byte prefix unless the key is djb-tweaked, else 15 bytes go.
 */
export function authCardInput(data: Uint8Array, attr: AlgorithmAttributes): Uint8Array {
  if (attr.type === "rsa") {
    const limit40 = Math.ceil(attr.nBits / 8) * 4;
    if (data.length * 10 > limit40) {
      throw new InvalidValueError(
        `Cannot authenticate: ${data.length} bytes exceed 40% of the modulus`,
      );
    }
    return data;
  }
  if (attr.type === "ecc") {
    const skip = !isDjbTweak(attr) && [51, 67, 83].includes(data.length) ? 19 : 15;
    if (data.length < skip) {
      throw new InvalidValueError(`Cannot authenticate: ${data.length} bytes are too few`);
    }
    return data.subarray(skip);
  }
  return data;
}

/** RSA cryptogram sizes stock pads up to (1024…4096-bit keys). */
const RSA_SIZES = [128, 192, 256, 384, 512];

/**
 * PSO:DECIPHER input from PKDECRYPT data (`do_decipher`): a 17/33-byte input starting with
 * 02 is symmetric and passes; RSA cryptograms up to 16 bytes short are left-padded, an
 * extra leading 00 on a full-size one is used as padding indicator, otherwise 00 is
 * prepended; ECDH points are wrapped as A6 {7F49 {86 point}} after dropping the 0x40/00
 * prefix of an odd-length 25519 point and left-padding a short one to 32 bytes.
 */
export function decipherCardInput(data: Uint8Array, attr: AlgorithmAttributes): Uint8Array {
  if (data.length === 0) throw new InvalidValueError("Cannot decipher: no data");
  if ((data.length === 17 || data.length === 33) && data[0] === 0x02) return data;
  if (attr.type === "rsa") {
    for (const size of RSA_SIZES) {
      if (data.length >= size - 16 && data.length < size) {
        return concat(new Uint8Array(size - data.length + 1), data); // zeros + padding indicator 00
      }
    }
    if (data[0] === 0 && RSA_SIZES.some((s) => data.length === s + 1)) return data;
    return concat(Uint8Array.of(0x00), data);
  }
  if (attr.type === "ecc") {
    let point = data;
    if (isDjbTweak(attr)) {
      if (point.length > 32 && point.length % 2 === 1) point = point.subarray(1);
      else if (point.length < 32) point = concat(new Uint8Array(32 - point.length), point);
    }
    return tlv(0xa6, tlv(0x7f49, tlv(0x86, point)));
  }
  throw new InvalidValueError("Cannot decipher: unknown key algorithm");
}

/**
 * The PKDECRYPT result from the card's answer: ECDH gets 0x40 for 25519, 0x41 for an
 * even-length (x-only) value, nothing for X448 (56 bytes) or a 04… point.
 */
export function decipherResult(output: Uint8Array, attr: AlgorithmAttributes): Uint8Array {
  if (attr.type !== "ecc") return output;
  if (isDjbTweak(attr)) return concat(Uint8Array.of(0x40), output);
  if (output.length === 56) return output;
  if (output.length % 2 === 0) return concat(Uint8Array.of(0x41), output);
  return output;
}

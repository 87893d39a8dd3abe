/**
 * DER DigestInfo prefixes (PKCS #1 v1.5, RFC 8017 §9.2 note 1) for the hash names of
 * PKSIGN `--hash=…`. gpg-agent always sends prefix ‖ digest; scdaemon strips the prefix
 * for ECC keys and keeps it for RSA (scd/app-openpgp.c `do_sign`).
 * @module
 */

import { concat, equalBytes, fromHex } from "../util/bytes.ts";

/** Hash names PKSIGN accepts (`none` is 2.4's raw RSA). */
export type HashAlgo =
  | "md5"
  | "sha1"
  | "rmd160"
  | "sha224"
  | "sha256"
  | "sha384"
  | "sha512"
  | "none";

/** All names, in the order stock's cmd_pksign tests them. */
export const HASH_ALGOS: readonly HashAlgo[] = [
  "rmd160",
  "sha1",
  "sha224",
  "sha256",
  "sha384",
  "sha512",
  "md5",
  "none",
];

/** Digest length in bytes. */
export const DIGEST_LENGTH: Record<Exclude<HashAlgo, "none">, number> = {
  md5: 16,
  sha1: 20,
  rmd160: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

const PREFIX_HEX: Record<Exclude<HashAlgo, "none">, string> = {
  md5: "3020300C06082A864886F70D020505000410",
  sha1: "3021300906052B0E03021A05000414",
  rmd160: "3021300906052B2403020105000414",
  sha224: "302D300D06096086480165030402040500041C",
  sha256: "3031300D060960864801650304020105000420",
  sha384: "3041300D060960864801650304020205000430",
  sha512: "3051300D060960864801650304020305000440",
};

/** The DER prefix for `hash` (undefined for "none"). */
export function digestInfoPrefix(hash: HashAlgo): Uint8Array | undefined {
  return hash === "none" ? undefined : fromHex(PREFIX_HEX[hash]);
}

/** prefix ‖ digest; throws RangeError if the digest length does not fit the hash. */
export function encodeDigestInfo(hash: Exclude<HashAlgo, "none">, digest: Uint8Array): Uint8Array {
  if (digest.length !== DIGEST_LENGTH[hash]) {
    throw new RangeError(`Cannot build DigestInfo: ${digest.length} bytes is not a ${hash} digest`);
  }
  return concat(fromHex(PREFIX_HEX[hash]), digest);
}

/** The digest if `data` is exactly prefix(hash) ‖ digest, else undefined. */
export function stripDigestInfo(hash: HashAlgo, data: Uint8Array): Uint8Array | undefined {
  if (hash === "none") return undefined;
  const prefix = fromHex(PREFIX_HEX[hash]);
  if (data.length !== prefix.length + DIGEST_LENGTH[hash]) return undefined;
  if (!equalBytes(data.subarray(0, prefix.length), prefix)) return undefined;
  return data.subarray(prefix.length);
}

/** Parse a `--hash=` value (case-sensitive, as stock's has_option). */
export function parseHashAlgo(name: string): HashAlgo | undefined {
  return (HASH_ALGOS as readonly string[]).includes(name) ? name as HashAlgo : undefined;
}

/**
 * Unsigned big-endian integers as BigInt, for the RSA arithmetic of key import (the host
 * derives the CRT parameters it sends, the virtual card rebuilds the key it receives).
 * @module
 */

/** The unsigned big-endian integer in `bytes`. */
export function bigFromBytes(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** `v` (≥ 0) as big-endian bytes without leading zeros (one byte for 0). */
export function bytesFromBig(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError(`Cannot encode ${v} as unsigned bytes: it is negative`);
  let hex = v.toString(16);
  if (hex.length % 2) hex = "0" + hex;
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** The inverse of `a` modulo `m` (extended Euclid), or undefined when gcd(a, m) ≠ 1. */
export function modInverse(a: bigint, m: bigint): bigint | undefined {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) return undefined;
  return ((s0 % m) + m) % m;
}

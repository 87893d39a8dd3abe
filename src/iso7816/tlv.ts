/**
 * BER-TLV as used by ISO 7816-4 and the OpenPGP card spec: tags of one to three bytes (a
 * first byte with low bits 11111 continues, as does each next byte with its top bit set),
 * lengths in short form or 81/82/83 long form. Pure functions; no I/O (tlv_test.ts).
 * @module
 */

import { concat } from "../util/bytes.ts";

/** Thrown when bytes are not well-formed BER-TLV. */
export class TlvSyntaxError extends SyntaxError {
  override name = "TlvSyntaxError";
}

/** One decoded TLV element. `value` is a view into the input. */
export interface Tlv {
  tag: number;
  constructed: boolean;
  value: Uint8Array;
}

/** Encode a BER length. */
export function encodeLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  if (n < 0x1000000) return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  throw new RangeError(`Cannot encode TLV length: ${n} is too large`);
}

/** Encode a tag of one to three bytes. */
export function encodeTag(tag: number): Uint8Array {
  if (tag > 0xffff) return Uint8Array.of(tag >> 16, (tag >> 8) & 0xff, tag & 0xff);
  if (tag > 0xff) return Uint8Array.of(tag >> 8, tag & 0xff);
  return Uint8Array.of(tag);
}

/** Build one TLV element. */
export function tlv(tag: number, ...values: readonly Uint8Array[]): Uint8Array {
  const value = concat(...values);
  return concat(encodeTag(tag), encodeLength(value.length), value);
}

/** Read one element at `offset`; returns it and the offset after it. */
export function readTlv(bytes: Uint8Array, offset = 0): { tlv: Tlv; next: number } {
  let i = offset;
  const need = (k: number) => {
    if (i + k > bytes.length) {
      throw new TlvSyntaxError(`Cannot parse TLV: truncated at offset ${i}`);
    }
  };
  need(1);
  const first = bytes[i++]!;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    do {
      need(1);
      tag = tag * 256 + bytes[i]!;
    } while ((bytes[i++]! & 0x80) !== 0 && tag < 0x1000000);
  }
  need(1);
  let len = bytes[i++]!;
  if (len === 0x80 || len > 0x83) {
    throw new TlvSyntaxError(`Cannot parse TLV: unsupported length byte ${len.toString(16)}`);
  }
  if (len > 0x80) {
    const k = len - 0x80;
    need(k);
    len = 0;
    for (let j = 0; j < k; j++) len = len * 256 + bytes[i++]!;
  }
  need(len);
  return {
    tlv: { tag, constructed: (first & 0x20) !== 0, value: bytes.subarray(i, i + len) },
    next: i + len,
  };
}

/** Parse a sequence of TLV elements filling `bytes` exactly. Trailing 00/FF padding is skipped. */
export function parseTlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] === 0x00 || bytes[i] === 0xff) {
      i++;
      continue;
    }
    const { tlv: t, next } = readTlv(bytes, i);
    out.push(t);
    i = next;
  }
  return out;
}

/**
 * Find a tag anywhere inside `bytes`, descending into constructed elements
 * (depth-first, first match wins).
 */
export function findTlv(bytes: Uint8Array, tag: number): Uint8Array | undefined {
  for (const t of parseTlvs(bytes)) {
    if (t.tag === tag) return t.value;
    if (t.constructed) {
      const inner = findTlv(t.value, tag);
      if (inner) return inner;
    }
  }
  return undefined;
}

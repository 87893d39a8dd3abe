/**
 * Byte helpers shared by every layer: hex, concatenation, comparison.
 * @module
 */

const HEX = "0123456789ABCDEF";

/** Encode bytes as uppercase hex (the form gpg and scdaemon print). */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/** Error for malformed hex input. */
export class HexSyntaxError extends SyntaxError {
  override name = "HexSyntaxError";
}

/**
 * Decode hex (either case). Blanks and colons are not allowed here; callers that accept
 * them (the APDU command) strip them first.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0) throw new HexSyntaxError("Cannot decode hex: odd number of digits");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(hex.charCodeAt(2 * i));
    const lo = hexValue(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) {
      throw new HexSyntaxError(`Cannot decode hex: invalid digit near offset ${2 * i}`);
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Concatenate byte arrays. */
export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte-wise equality. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time equality for secrets of equal length (PIN comparison on the virtual card). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Big-endian unsigned integer of `width` bytes. */
export function uintBE(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = value & 0xff;
    value = Math.floor(value / 256);
  }
  return out;
}

/** Read a big-endian unsigned integer (up to 6 bytes stay exact). */
export function readUintBE(bytes: Uint8Array): number {
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

/** Drop leading zero bytes (MPI normalisation), keeping at least one byte. */
export function stripLeadingZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

/** Left-pad with zeros to `width` bytes (no-op when already that long or longer). */
export function padStart(bytes: Uint8Array, width: number): Uint8Array {
  if (bytes.length >= width) return bytes;
  const out = new Uint8Array(width);
  out.set(bytes, width - bytes.length);
  return out;
}

/** ASCII/UTF-8 text to bytes. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Overwrite a secret buffer with zeros. */
export function wipe(bytes: Uint8Array | undefined): void {
  bytes?.fill(0);
}

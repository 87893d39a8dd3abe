/**
 * PW status bytes (DO C4, spec 3.4 §4.4.3.4): [0] 00 = PW1 valid for one PSO:CDS only,
 * 01 = several; [1..3] max lengths of PW1, RC, PW3 (bit 7 of [1] may flag a PIN block
 * format on v3); [4..6] tries left for PW1, RC, PW3.
 * @module
 */

/** Malformed PW status bytes. */
export class PwStatusSyntaxError extends SyntaxError {
  override name = "PwStatusSyntaxError";
}

/** Parsed DO C4. */
export interface PwStatus {
  raw: Uint8Array;
  /** C4[0] != 0: one VERIFY of PW1 (81) covers several signatures (gnupg: !force_chv1). */
  pw1ValidMultiple: boolean;
  maxLength: { pw1: number; rc: number; pw3: number };
  tries: { pw1: number; rc: number; pw3: number };
}

/** Parse DO C4 (at least 7 bytes, as gnupg requires). */
export function parsePwStatus(raw: Uint8Array): PwStatus {
  if (raw.length < 7) {
    throw new PwStatusSyntaxError(`Cannot parse PW status: ${raw.length} bytes, expected 7`);
  }
  return {
    raw: raw.slice(),
    pw1ValidMultiple: raw[0] !== 0,
    maxLength: { pw1: raw[1]!, rc: raw[2]!, pw3: raw[3]! },
    tries: { pw1: raw[4]!, rc: raw[5]!, pw3: raw[6]! },
  };
}

/** The value PUT DATA C4 takes to set "PW1 valid for several signatures" (SETATTR CHV-STATUS-1). */
export function encodePwValidity(multiple: boolean): Uint8Array {
  return Uint8Array.of(multiple ? 1 : 0);
}

/**
 * The CHV-STATUS argument as stock builds it: " %d" per byte, at most 7 bytes, so
 * " 1 127 127 127 3 0 3" (escaped on the wire to "+1+127+127+127+3+0+3").
 */
export function chvStatusText(raw: Uint8Array): string {
  let out = "";
  for (const b of raw.subarray(0, 7)) out += ` ${b}`;
  return out;
}

/**
 * ISO 7816-4 command and response APDUs: encoding in short and extended form, response
 * parsing. Pure functions; no I/O.
 *
 * Lengths (ISO 7816-4 §5.1): short form carries Lc 1..255 and Ne 1..256 (Le byte 00 means
 * 256); extended form carries Lc 1..65535 and Ne 1..65536 (Le bytes 0000 mean 65536) and
 * starts its length fields with a 00 marker byte.
 * @module
 */

import { concat } from "../util/bytes.ts";
import { ApduLengthError, ResponseSyntaxError } from "./errors.ts";

/** A command APDU before encoding. */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Lc is its length); absent or empty means no data field. */
  data?: Uint8Array;
  /**
   * Expected response length Ne: absent = no Le field, a number = that many bytes,
   * `"max"` = as many as the chosen encoding allows (256 short, 65536 extended).
   */
  le?: number | "max";
}

/** A parsed response APDU. */
export interface ResponseApdu {
  /** Response data without the status word. */
  data: Uint8Array;
  /** SW1 SW2 as one number, e.g. 0x9000. */
  sw: number;
}

/** Largest Lc of a short APDU. */
export const SHORT_MAX_LC = 255;
/** Largest Ne of a short APDU. */
export const SHORT_MAX_NE = 256;
/** Largest Lc of an extended APDU. */
export const EXTENDED_MAX_LC = 65535;
/** Largest Ne of an extended APDU. */
export const EXTENDED_MAX_NE = 65536;

/** Whether `cmd` cannot be sent as a short APDU (data over 255 or Ne over 256 bytes). */
export function needsExtendedLength(cmd: CommandApdu): boolean {
  const lc = cmd.data?.length ?? 0;
  const ne = typeof cmd.le === "number" ? cmd.le : 0;
  return lc > SHORT_MAX_LC || ne > SHORT_MAX_NE;
}

/** Options for {@link encodeCommandApdu}. */
export interface EncodeOptions {
  /** Use the extended length form even when the short form would do. */
  extended?: boolean;
}

/**
 * Encode a command APDU. The short form is used unless `options.extended` is set; a
 * command that does not fit the chosen form throws {@link ApduLengthError}.
 */
export function encodeCommandApdu(cmd: CommandApdu, options: EncodeOptions = {}): Uint8Array {
  checkByte("CLA", cmd.cla);
  checkByte("INS", cmd.ins);
  checkByte("P1", cmd.p1);
  checkByte("P2", cmd.p2);
  const header = Uint8Array.of(cmd.cla, cmd.ins, cmd.p1, cmd.p2);
  const data = cmd.data ?? new Uint8Array(0);
  const extended = options.extended === true;
  const maxLc = extended ? EXTENDED_MAX_LC : SHORT_MAX_LC;
  const maxNe = extended ? EXTENDED_MAX_NE : SHORT_MAX_NE;
  if (data.length > maxLc) {
    throw new ApduLengthError(
      `Cannot encode APDU: ${data.length} data bytes exceed the ${
        extended ? "extended" : "short"
      } limit ${maxLc}`,
    );
  }
  const ne = cmd.le === undefined ? undefined : cmd.le === "max" ? maxNe : cmd.le;
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > maxNe)) {
    throw new ApduLengthError(
      `Cannot encode APDU: Le ${ne} is outside 1..${maxNe} for the ${
        extended ? "extended" : "short"
      } form`,
    );
  }
  if (!extended) {
    const parts: Uint8Array[] = [header];
    if (data.length > 0) parts.push(Uint8Array.of(data.length), data);
    if (ne !== undefined) parts.push(Uint8Array.of(ne & 0xff)); // 256 → 00
    return concat(...parts);
  }
  const parts: Uint8Array[] = [header];
  if (data.length > 0) parts.push(Uint8Array.of(0, data.length >> 8, data.length & 0xff), data);
  if (ne !== undefined) {
    const le = ne === EXTENDED_MAX_NE ? 0 : ne;
    // Case 2E has the 00 marker before Le; case 4E reuses the one before Lc.
    if (data.length === 0) parts.push(Uint8Array.of(0));
    parts.push(Uint8Array.of(le >> 8, le & 0xff));
  }
  return concat(...parts);
}

/** Parse a raw response (data ‖ SW1 SW2). The data is a copy. */
export function parseResponseApdu(raw: Uint8Array): ResponseApdu {
  if (raw.length < 2) {
    throw new ResponseSyntaxError(
      `Cannot parse response APDU: ${raw.length} bytes, need at least the 2 status bytes`,
    );
  }
  const n = raw.length - 2;
  return { data: raw.slice(0, n), sw: (raw[n]! << 8) | raw[n + 1]! };
}

/** Encode a response (used by tests and the APDU pass-through command). */
export function encodeResponseApdu(response: ResponseApdu): Uint8Array {
  return concat(response.data, Uint8Array.of(response.sw >> 8, response.sw & 0xff));
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) {
    throw new RangeError(`Cannot encode APDU: ${name} ${v} is not a byte`);
  }
}

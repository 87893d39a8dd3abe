/**
 * Card-side command APDU decoding (ISO 7816-4 command-response pairs: short and extended cases 1–4) and the
 * status-word exception the applet handlers throw.
 * @module
 */

import { SW_WRONG_LENGTH } from "../iso7816/sw.ts";

/** A decoded command APDU as the card sees it. */
export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  /** Command data (Lc bytes); empty for cases 1 and 2. */
  data: Uint8Array;
  /** Ne: the maximum response length the host expects; 0 when Le is absent. */
  ne: number;
  /** True when the APDU used extended Lc/Le fields. */
  extended: boolean;
}

/** Thrown by handlers to answer with a status word and no data. */
export class StatusError extends Error {
  override name = "StatusError";
  constructor(readonly sw: number, message?: string) {
    super(message ?? `Card answered ${sw.toString(16).toUpperCase().padStart(4, "0")}`);
  }
}

/** Decode raw command bytes; throws `StatusError(6700)` when the length fields do not add up. */
export function parseCommandApdu(bytes: Uint8Array): CommandApdu {
  if (bytes.length < 4) {
    throw new StatusError(SW_WRONG_LENGTH, "Cannot parse APDU: shorter than 4 bytes");
  }
  const head = { cla: bytes[0]!, ins: bytes[1]!, p1: bytes[2]!, p2: bytes[3]! };
  const empty = new Uint8Array(0);
  if (bytes.length === 4) return { ...head, data: empty, ne: 0, extended: false };
  const b4 = bytes[4]!;
  if (bytes.length === 5) return { ...head, data: empty, ne: b4 || 256, extended: false };
  if (b4 !== 0) {
    const end = 5 + b4;
    if (bytes.length === end) return { ...head, data: bytes.slice(5, end), ne: 0, extended: false };
    if (bytes.length === end + 1) {
      return { ...head, data: bytes.slice(5, end), ne: bytes[end]! || 256, extended: false };
    }
    throw new StatusError(SW_WRONG_LENGTH, "Cannot parse APDU: Lc does not match the length");
  }
  // Extended length: a zero byte followed by 2-byte fields.
  if (bytes.length === 7) {
    return { ...head, data: empty, ne: ((bytes[5]! << 8) | bytes[6]!) || 65536, extended: true };
  }
  if (bytes.length < 8) {
    throw new StatusError(SW_WRONG_LENGTH, "Cannot parse APDU: truncated extended length");
  }
  const lc = (bytes[5]! << 8) | bytes[6]!;
  const end = 7 + lc;
  if (lc === 0) throw new StatusError(SW_WRONG_LENGTH, "Cannot parse APDU: extended Lc of zero");
  if (bytes.length === end) return { ...head, data: bytes.slice(7, end), ne: 0, extended: true };
  if (bytes.length === end + 2) {
    const ne = ((bytes[end]! << 8) | bytes[end + 1]!) || 65536;
    return { ...head, data: bytes.slice(7, end), ne, extended: true };
  }
  throw new StatusError(
    SW_WRONG_LENGTH,
    "Cannot parse APDU: extended Lc does not match the length",
  );
}

/** Response bytes: data ‖ SW1 SW2. */
export function responseBytes(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

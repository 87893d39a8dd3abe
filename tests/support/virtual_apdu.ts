/**
 * Helpers for the virtual card's unit tests: build APDUs, send them, split the answer.
 * @module
 */

import { concat, fromHex, utf8 } from "../../src/util/bytes.ts";
import { VirtualCard, type VirtualCardOptions } from "../../src/virtual/card.ts";

export { ADMIN_PIN as PW3, USER_PIN as PW1 } from "./fixtures.ts";
export const SELECT_OPENPGP = "00A4040006D27600012401";

/** A response split into data and status word. */
export interface Reply {
  data: Uint8Array;
  sw: number;
}

/** Split raw response bytes. */
export function split(raw: Uint8Array): Reply {
  return {
    data: raw.subarray(0, raw.length - 2),
    sw: (raw[raw.length - 2]! << 8) | raw[raw.length - 1]!,
  };
}

/** Short APDU; `le` undefined = no Le field. */
export function apdu(
  header: number,
  data: Uint8Array = new Uint8Array(0),
  le?: number,
  cla = 0x00,
): Uint8Array {
  const h = Uint8Array.of(cla, header >> 16 & 0xff, header >> 8 & 0xff, header & 0xff);
  const lc = data.length ? Uint8Array.of(data.length) : new Uint8Array(0);
  const tail = le === undefined ? new Uint8Array(0) : Uint8Array.of(le & 0xff);
  return concat(h, lc, data, tail);
}

/** Extended APDU with Lc (when data) and a 2-byte Le (0 = 65536). */
export function extApdu(header: number, data: Uint8Array, le = 0): Uint8Array {
  const h = Uint8Array.of(0x00, header >> 16 & 0xff, header >> 8 & 0xff, header & 0xff, 0x00);
  const lc = data.length ? Uint8Array.of(data.length >> 8, data.length & 0xff) : new Uint8Array(0);
  return concat(h, lc, data, Uint8Array.of(le >> 8, le & 0xff));
}

/** Send hex or bytes; returns data and SW. */
export async function send(card: VirtualCard, command: string | Uint8Array): Promise<Reply> {
  const bytes = typeof command === "string" ? fromHex(command.replace(/\s+/g, "")) : command;
  return split(await card.transmit(bytes));
}

/** Send and collect a long answer through GET RESPONSE, as scdaemon's apdu.c does. */
export async function sendAll(card: VirtualCard, command: string | Uint8Array): Promise<Reply> {
  let reply = await send(card, command);
  const parts = [reply.data];
  while ((reply.sw & 0xff00) === 0x6100) {
    reply = await send(card, apdu(0xc00000, undefined, reply.sw & 0xff));
    parts.push(reply.data);
  }
  return { data: concat(...parts), sw: reply.sw };
}

/** Open an in-memory card (no auto-touch unless asked) and select the application. */
export async function openSelected(options: VirtualCardOptions = {}): Promise<VirtualCard> {
  const card = await VirtualCard.open({ autoTouchMs: -1, ...options });
  const r = await send(card, SELECT_OPENPGP);
  if (r.sw !== 0x9000) throw new Error(`Cannot select: ${r.sw.toString(16)}`);
  return card;
}

/** VERIFY with an ASCII PIN; returns the SW. */
export async function verifyPin(
  card: VirtualCard,
  ref: number,
  pin: string | Uint8Array,
): Promise<number> {
  const bytes = typeof pin === "string" ? utf8(pin) : pin;
  return (await send(card, apdu(0x200000 | ref, bytes))).sw;
}

/** PUT DATA (even INS); returns the SW. */
export async function putData(card: VirtualCard, tag: number, value: Uint8Array): Promise<number> {
  const cmd = value.length > 255
    ? extApdu(0xda0000 | tag, value).subarray(0, -2)
    : apdu(0xda0000 | tag, value);
  return (await send(card, cmd)).sw;
}

/** GET DATA; returns data and SW (long answers collected). */
export function getData(card: VirtualCard, tag: number): Promise<Reply> {
  return sendAll(card, apdu(0xca0000 | tag, undefined, 0));
}

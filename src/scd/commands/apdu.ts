/**
 * APDU: send a raw command APDU to the session's card (gpg/gnupg:scd/command.c `cmd_apdu`;
 * scdaemon-protocol.md §3 APDU). The reply's D data is the response data followed by SW1 SW2;
 * card status words are data, not errors. Each APDU is its own transaction and is sent
 * verbatim: no application is re-selected (gpg's factory reset sends its own SELECT), and a
 * VERIFY is never repeated by the reader layer's retry.
 *
 * Strict PIN policy (docs/pin-policy.md): a raw VERIFY, CHANGE REFERENCE DATA or RESET RETRY
 * COUNTER with data may leave a PIN verified, and scd-ts does not know which application it
 * was for, so the transaction ends with a card reset (`SCARD_RESET_CARD`), which clears every
 * security status. Only a refusal (63Cx, or an error 64xx–6Fxx: ISO 7816-4 §5.6, the command
 * was not executed) skips the reset: gpg's factory reset blocks the PINs with wrong VERIFYs
 * and needs the application to stay selected between them. An answer lost on the way counts
 * as accepted. A reader that cannot reset refuses the APDU instead of sending it.
 * `pin-policy session` sends it without a reset, as stock does.
 * @module
 */

import type { CardChannel } from "../../pcsc/mod.ts";
import { isSecretCommand, isSecretResponse } from "../../log.ts";
import { toHex } from "../../util/bytes.ts";
import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openCard, parseLine } from "../command.ts";
import { pinPolicyOf } from "../config.ts";
import { cardAtrStatus, sendStatus } from "../status.ts";

/** Hex digits in pairs, blanks and colons between them; stops at anything else (`hex_to_buffer`). */
export function parseApduHex(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === ":") continue;
    const pair = text.slice(i, i + 2);
    if (!/^[0-9A-Fa-f]{2}$/.test(pair)) break;
    out.push(parseInt(pair, 16));
    i++;
  }
  return Uint8Array.from(out);
}

/**
 * Where the secret of an APDU line starts, for the trace (`Command.secretArgs`): after the
 * four header bytes of a command whose data is a PIN or a key (VERIFY, CHANGE REFERENCE
 * DATA, RESET RETRY COUNTER, key import, secret PUT DATA), so Lc and the data are redacted.
 */
export function secretApduStart(args: Uint8Array): number | undefined {
  const blank = (b: number | undefined) => b === 0x20 || b === 0x09;
  const hex = (b: number | undefined) =>
    b !== undefined && ((b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66));
  let i = 0;
  while (blank(args[i])) i++;
  while (args[i] === 0x2d && args[i + 1] === 0x2d) { // the options, as parseLine skips them
    while (i < args.length && !blank(args[i])) i++;
    while (blank(args[i])) i++;
  }
  // only the header is decoded (the rest may be the PIN); the count tells whether data follows
  const header: number[] = [];
  let count = 0;
  let afterHeader = 0;
  while (i < args.length) {
    if (blank(args[i]) || args[i] === 0x3a) {
      i++;
      continue;
    }
    if (!hex(args[i]) || !hex(args[i + 1])) break;
    if (count < 4) header.push(parseInt(String.fromCharCode(args[i]!, args[i + 1]!), 16));
    i += 2;
    if (++count === 4) afterHeader = i;
  }
  // a header, Lc and at least one data byte; `00200081` alone asks the PIN's status
  if (count <= 5) return undefined;
  return isSecretCommand(Uint8Array.from(header)) ? afterHeader : undefined;
}

/** INS of the commands that carry a PIN or reset code (ISO 7816-4 §11.5.6–11.5.10). */
const PIN_INS = new Set([0x20, 0x24, 0x2c]);

/** Whether `apdu` may leave a PIN verified: VERIFY / CHANGE / RESET RETRY COUNTER with data. */
export function carriesPin(apdu: Uint8Array): boolean {
  return apdu.length > 5 && PIN_INS.has(apdu[1] ?? -1);
}

/** Whether the card refused the command: 63Cx (wrong PIN) or an error 64xx–6Fxx. */
export function refused(response: Uint8Array): boolean {
  const sw1 = response[response.length - 2] ?? 0;
  const sw2 = response[response.length - 1] ?? 0;
  return (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) || (sw1 >= 0x64 && sw1 <= 0x6f);
}

/** Send `apdu`; with `more`, follow 61xx with GET RESPONSE and join the data (`--more`). */
async function exchange(channel: CardChannel, apdu: Uint8Array, more: boolean) {
  let response = await channel.transmit(apdu);
  if (!more) return response;
  const parts: Uint8Array[] = [];
  for (let n = 0; n < 256 && response.length >= 2; n++) {
    const sw1 = response[response.length - 2]!;
    if (sw1 !== 0x61) break;
    parts.push(response.subarray(0, response.length - 2));
    const le = response[response.length - 1]!;
    response = await channel.transmit(Uint8Array.of(apdu[0]! & 0x03, 0xc0, 0, 0, le));
  }
  parts.push(response);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A readable dump of an ATR for `--dump-atr` (hex plus its parts' lengths). */
function atrDump(atr: Uint8Array): string {
  const hex = toHex(atr).replace(/(..)(?!$)/g, "$1 ");
  return `ATR: ${hex}\nLength: ${atr.length} bytes\n`;
}

/** APDU: raw command APDU, reply data ‖ SW. */
export const apdu: Command = {
  name: "APDU",
  help: [
    "APDU [--atr|--dump-atr|--data-atr] [--more] [--exlen[=N]] [hexstring]",
    "",
    "Send the APDU in HEXSTRING (blanks and colons allowed) to the card and",
    "return the response data followed by the status word as D lines.",
    "--atr first sends  S CARD-ATR <hexstring>;  --dump-atr and --data-atr send",
    "the ATR as data instead. --more collects 61xx continuations with GET RESPONSE.",
    "--exlen is accepted for compatibility (responses are never truncated).",
    "Without HEXSTRING only the card is checked.",
  ].join("\n"),
  secretArgs: secretApduStart,
  async run(ctx, line) {
    const { options, rest } = parseLine(line);
    const card = await openCard(ctx);
    const bytes = parseApduHex(rest);
    const wantAtr = options.has("dump-atr")
      ? "dump"
      : options.has("data-atr")
      ? "data"
      : options.has("atr")
      ? "status"
      : undefined;
    const more = options.has("more");
    const reset = carriesPin(bytes) && pinPolicyOf(ctx.daemon.config) === "strict";
    const header = bytes.slice(0, 4);
    const { atr, response } = await ctx.cards.withCard(card, async (channel) => {
      if (!reset) {
        const response = bytes.length > 0 ? await exchange(channel, bytes, more) : undefined;
        return { atr: channel.atr, response };
      }
      const resetOnEnd = channel.resetOnEnd?.bind(channel);
      if (!resetOnEnd) {
        throw new GpgError("NOT_SUPPORTED", {
          description: "the reader cannot reset the card after a raw PIN command",
        });
      }
      let response;
      try {
        response = await exchange(channel, bytes, more);
      } catch (e) {
        resetOnEnd(); // the card may have accepted it
        throw e;
      }
      if (!refused(response)) resetOnEnd();
      return { atr: channel.atr, response };
    }, { signal: ctx.signal });
    if (wantAtr === "status") await sendStatus(ctx.conn, cardAtrStatus(toHex(atr)));
    else if (wantAtr === "data") await ctx.conn.data(atr);
    else if (wantAtr === "dump") await ctx.conn.data(atrDump(atr));
    bytes.fill(0); // may hold a PIN
    if (response) {
      try {
        // a decrypted session key or a PIN-protected DO: kept out of the trace like PKDECRYPT's
        if (isSecretResponse(header)) ctx.conn.beginConfidential();
        await ctx.conn.data(response);
      } finally {
        response.fill(0);
      }
    }
  },
};

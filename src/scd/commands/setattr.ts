/**
 * SETATTR [--inquire] <name> <value>: write a card attribute (gpg/gnupg:scd/command.c
 * `cmd_setattr`, scd/app-openpgp.c `do_setattr`; scdaemon-protocol.md §3 SETATTR). VALUE is
 * percent-plus escaped; with 2.4's `--inquire` it comes confidentially from `INQUIRE VALUE`
 * instead. Most names need the Admin PIN. Changing KEY-ATTR or KDF makes stock ask for the
 * PINs again, so their cached copies are dropped; UIF and key changes refresh what the
 * commands remember about the card.
 * @module
 */

import { percentPlusUnescape } from "../../assuan/mod.ts";
import { GpgError } from "../../gpg_error/mod.ts";
import { forgetCardFacts } from "../card_facts.ts";
import { type Command, openApp } from "../command.ts";
import { cardOperation, pinCacheFor } from "../operation.ts";
import { optionTokens } from "./pksign.ts";

/** Longest `INQUIRE VALUE` reply (`MAXLEN_SETATTRDATA`). */
export const MAX_SETATTR_DATA = 16384;

/** Names after whose change stock forgets every PIN verification (`change_keyattr`, KDF setup). */
const RESETS_PINS = new Set(["KEY-ATTR", "KDF"]);

/**
 * Names whose inline value is a secret key or a PIN-protected DO (OpenPGP card 3.4 §4.4.1:
 * D1/D2 SM keys, D5 AES key; 0103 needs PW1 and 0104 PW3 to be read): the trace shows their
 * value only as `[redacted N bytes]`.
 */
const SECRET_VALUES = new Set([
  "AESKEY",
  "SM-KEY-ENC",
  "SM-KEY-MAC",
  "PRIVATE-DO-3",
  "PRIVATE-DO-4",
]);

/** Where the name and the value start in SETATTR's argument bytes (after the options). */
function splitArgs(args: Uint8Array): { name: Uint8Array; value: number } {
  const blank = (b: number | undefined) => b === 0x20 || b === 0x09;
  let i = 0;
  const skipBlanks = () => {
    while (blank(args[i])) i++;
  };
  const skipToken = () => {
    while (i < args.length && !blank(args[i])) i++;
  };
  skipBlanks();
  while (args[i] === 0x2d && args[i + 1] === 0x2d) {
    skipToken();
    skipBlanks();
  }
  const start = i;
  skipToken();
  const name = args.subarray(start, i);
  skipBlanks();
  return { name, value: i };
}

/**
 * The value part of SETATTR's argument bytes (after options, the name and blanks), taken
 * from the bytes as sent: values such as KDF are binary, which a text line would mangle.
 */
export function valueBytes(args: Uint8Array): Uint8Array {
  return args.subarray(splitArgs(args).value);
}

/** Where the secret value of a SETATTR line starts, for the trace (`Command.secretArgs`). */
export function secretValueStart(args: Uint8Array): number | undefined {
  const { name, value } = splitArgs(args);
  const upper = new TextDecoder().decode(name).toUpperCase();
  return SECRET_VALUES.has(upper) && value < args.length ? value : undefined;
}

export const setattr: Command = {
  name: "SETATTR",
  help: [
    "SETATTR [--inquire] <name> <value>",
    "",
    "Store the attribute NAME on the card, e.g. DISP-NAME, LOGIN-DATA, DISP-LANG,",
    "DISP-SEX, PUBKEY-URL, CHV-STATUS-1, CA-FPR-n, PRIVATE-DO-n, KEY-ATTR,",
    "UIF-n, KDF.  VALUE must be percent and '+' escaped.  With --inquire the",
    "value is asked for with  INQUIRE VALUE  (confidential).",
  ].join("\n"),
  secretArgs: secretValueStart,
  async run(ctx, line, rawArgs) {
    const { tokens, rest } = optionTokens(line);
    const { card, app } = await openApp(ctx);
    const name = rest.split(/[ \t]/, 1)[0] ?? "";
    const value = tokens.includes("--inquire")
      ? await ctx.conn.inquire("VALUE", "", { confidential: true, maxLength: MAX_SETATTR_DATA })
      : percentPlusUnescape(valueBytes(rawArgs ?? new TextEncoder().encode(line)));
    try {
      if (name === "") throw new GpgError("INV_VALUE"); // app_setattr
      await using op = cardOperation(ctx, card);
      await app.setAttr({ name, value }, op.ctx);
      // only once the card took the value: a PUT DATA the card refused changed nothing, and
      // stock keeps its verifications then (app-openpgp.c `change_keyattr`, `do_setattr`
      // return before clearing did_chv1..3)
      if (RESETS_PINS.has(name)) pinCacheFor(ctx).drop(card);
    } finally {
      value.fill(0);
      forgetCardFacts(card);
    }
  },
};

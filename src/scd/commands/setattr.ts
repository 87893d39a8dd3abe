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

/** Names after which stock forgets every PIN verification (`change_keyattr`, KDF setup). */
const RESETS_PINS = new Set(["KEY-ATTR", "KDF"]);

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
  async run(ctx, line) {
    const { tokens, rest } = optionTokens(line);
    const { card, app } = await openApp(ctx);
    const name = rest.split(/[ \t]/, 1)[0] ?? "";
    const text = rest.slice(name.length).replace(/^[ \t]+/, "");
    const value = tokens.includes("--inquire")
      ? await ctx.conn.inquire("VALUE", "", { confidential: true, maxLength: MAX_SETATTR_DATA })
      : percentPlusUnescape(text);
    try {
      if (name === "") throw new GpgError("INV_VALUE"); // app_setattr
      await using op = cardOperation(ctx, card);
      await app.setAttr({ name, value }, op.ctx);
    } finally {
      value.fill(0);
      forgetCardFacts(card);
      if (RESETS_PINS.has(name)) pinCacheFor(ctx).drop(card);
    }
  },
};

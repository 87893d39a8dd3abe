/**
 * CHECKPIN <idstr>: VERIFY without doing anything else (gpg/gnupg:scd/command.c
 * `cmd_checkpin`, scd/app-openpgp.c `do_check_pin`). For OpenPGP, IDSTR is the card's serial
 * number (a fingerprint part is ignored): the user PIN is checked; with the suffix `[CHV3]`
 * the Admin PIN, and only while its counter is still at 3. gpg --card-edit `verify` and
 * gpg-card `verify` use it. The PIN is always asked for, never taken from the cache: stock
 * verifies afresh on every CHECKPIN (two `gpg-card verify` in a row show two dialogs on
 * 2.4.7, docs/multi-card.md); what the card accepted is still remembered for later use.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openApp } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";

export const checkpin: Command = {
  name: "CHECKPIN",
  help: [
    "CHECKPIN <idstr>",
    "",
    "Perform a VERIFY operation without doing anything else.  For OpenPGP,",
    "IDSTR is the card's serial number; the user PIN is checked, or with the",
    "suffix [CHV3] the Admin PIN (only while its retry counter is at 3).",
  ].join("\n"),
  async run(ctx, line) {
    const { card, app } = await openApp(ctx);
    const idStr = line.replace(/^[ \t]+/, "");
    if (idStr === "") throw new GpgError("INV_VALUE");
    await using op = cardOperation(ctx, card, { fresh: true });
    await app.checkPin({ idStr }, op.ctx);
  },
};

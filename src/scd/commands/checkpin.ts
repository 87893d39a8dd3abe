/**
 * CHECKPIN <idstr>: VERIFY without doing anything else (gpg/gnupg:scd/command.c
 * `cmd_checkpin`, scd/app-openpgp.c `do_check_pin`). For OpenPGP, IDSTR is the card's serial
 * number (a fingerprint part is ignored): the user PIN is checked; with the suffix `[CHV3]`
 * the Admin PIN, and only while its counter is still at 3. gpg --card-edit `verify` uses it.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openApp } from "../command.ts";
import { cardOperation } from "../operation.ts";

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
    // stock forces the Admin PIN entry for [CHV3] (`do_check_pin` clears did_chv3)
    await using op = cardOperation(ctx, card, { fresh: idStr.endsWith("[CHV3]") });
    await app.checkPin({ idStr }, op.ctx);
  },
};

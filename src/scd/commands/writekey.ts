/**
 * WRITEKEY [--force] <keyid>: import a private key into a key slot (gpg --edit-key
 * `keytocard`; gpg/gnupg:scd/command.c `cmd_writekey`, scd/app-openpgp.c `do_writekey`).
 * The key comes as a canonical S-expression from a confidential `INQUIRE KEYDATA` (at most
 * 4096 bytes, wiped after use); the application changes the slot's algorithm if needed,
 * imports the key and writes its fingerprint and time. Needs the Admin PIN.
 * @module
 */

import { type Command, openApp, parameterError } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";
import { optionTokens } from "./pksign.ts";

/** Longest KEYDATA reply (`MAXLEN_KEYDATA`). */
export const MAX_KEY_DATA = 4096;

export const writekey: Command = {
  name: "WRITEKEY",
  help: [
    "WRITEKEY [--force] <keyid>",
    "",
    "Store a private key on the card under KEYID (OPENPGP.1, .2 or .3).  The",
    "key is asked for with  INQUIRE KEYDATA  as a canonical S-expression.",
    "--force overwrites a key that is already there.",
  ].join("\n"),
  async run(ctx, line) {
    const { tokens, rest } = optionTokens(line);
    const keyRef = rest.split(/[ \t]/, 1)[0] ?? "";
    if (keyRef === "") throw parameterError("no keyid given");
    const { card, app } = await openApp(ctx);
    const keyData = await ctx.conn.inquire("KEYDATA", "", {
      confidential: true,
      maxLength: MAX_KEY_DATA,
    });
    try {
      await using op = cardOperation(ctx, card);
      await app.writeKey({ keyRef, keyData, force: tokens.includes("--force") }, op.ctx);
    } finally {
      keyData.fill(0);
    }
  },
};

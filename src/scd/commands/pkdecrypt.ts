/**
 * PKDECRYPT <keyid>: decrypt the SETDATA buffer with the decryption key
 * (gpg/gnupg:scd/command.c `cmd_pkdecrypt`, scd/app-openpgp.c `do_decipher`). RSA
 * cryptograms and ECDH points are shaped for PSO:DECIPHER by the application; the card
 * removes the padding, so `S PADDING 0` goes out before the plaintext (stock sends it for
 * every OpenPGP decryption).
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { cardForKey } from "../key_lookup.ts";
import type { Command } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";
import { paddingStatus, sendStatus } from "../status.ts";

export const pkdecrypt: Command = {
  name: "PKDECRYPT",
  help: [
    "PKDECRYPT <hexified_id>",
    "",
    "Decrypt the data given with SETDATA with the key KEYID (OPENPGP.2 or",
    "its keygrip) and send the plaintext as data.",
  ].join("\n"),
  async run(ctx, line) {
    // stock takes the whole line as the key id (no option parsing)
    const keyRef = line.replace(/^[ \t]+/, "");
    const target = await cardForKey(ctx, keyRef, "NO_SECKEY");
    const data = ctx.state.setData;
    if (!data || data.length === 0 || keyRef === "") throw new GpgError("INV_VALUE");
    let result;
    {
      await using op = cardOperation(ctx, target.card);
      result = await target.app.decipher({ keyRef, data }, op.ctx);
    }
    try {
      if (result.padding !== undefined) await sendStatus(ctx.conn, paddingStatus(result.padding));
      // the plaintext is the session key (or ECDH point): never in the trace
      ctx.conn.beginConfidential();
      await ctx.conn.data(result.plaintext);
    } finally {
      result.plaintext.fill(0);
    }
  },
};

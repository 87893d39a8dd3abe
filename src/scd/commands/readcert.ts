/**
 * READCERT <certid>|<keyid>: a certificate from the card as DER data
 * (gpg/gnupg:scd/command.c `cmd_readcert`). On OpenPGP cards OPENPGP.3 is the cardholder
 * certificate DO 7F21, an absent one NOT_FOUND; OPENPGP.1 and .2 are its other occurrences on
 * v3 cards (src/openpgp/operations.ts `readCertificate`, as stock `do_readcert`). A
 * 40-character id picks the card holding that keygrip (2.4), CARD_NOT_PRESENT if none does.
 * @module
 */

import { cardForKey } from "../key_lookup.ts";
import type { Command } from "../command.ts";

export const readcert: Command = {
  name: "READCERT",
  help: [
    "READCERT <hexified_certid>|<keyid>|<oid>",
    "",
    "Send the certificate CERTID (OPENPGP.3: the cardholder certificate) as data.",
    "Note, that this function may even be used on a locked card.",
  ].join("\n"),
  async run(ctx, line) {
    const certId = line;
    const { app } = await cardForKey(ctx, certId, "CARD_NOT_PRESENT");
    await ctx.conn.data(await app.readCert({ certId }, ctx.operation()));
  },
};

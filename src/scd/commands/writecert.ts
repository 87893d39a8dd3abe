/**
 * WRITECERT <certid>: store a certificate, asked for with `INQUIRE CERTDATA`
 * (gpg/gnupg:scd/command.c `cmd_writecert`). On OpenPGP cards OPENPGP.3 is the cardholder
 * certificate DO 7F21 (Admin PIN).
 * @module
 */

import { type Command, openApp, parameterError } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";

/** Longest certificate accepted (`MAXLEN_CERTDATA`). */
export const MAX_CERT_DATA = 16384;

export const writecert: Command = {
  name: "WRITECERT",
  help: [
    "WRITECERT <hexified_certid>",
    "",
    "Store a certificate on the card: OPENPGP.3 is the cardholder certificate.",
    "The certificate itself is asked for with  INQUIRE CERTDATA  (DER).",
  ].join("\n"),
  async run(ctx, line) {
    const certId = line.replace(/^[ \t]*(--\S*[ \t]*)*/, "").split(/[ \t]/, 1)[0] ?? "";
    if (certId === "") throw parameterError("no certid given");
    const { card, app } = await openApp(ctx);
    const data = await ctx.conn.inquire("CERTDATA", "", { maxLength: MAX_CERT_DATA });
    await using op = cardOperation(ctx, card);
    await app.writeCert({ certId, data }, op.ctx);
  },
};

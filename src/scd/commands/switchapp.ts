/**
 * SWITCHAPP [<appname>]: make APPNAME the card's active application and report the card's
 * serial number with its applications, the active one first (gnupg 2.4 scd/command.c
 * `cmd_switchapp`, scd/app.c `app_switch_active_app`; scdaemon-protocol.md §3 SWITCHAPP).
 * gpg 2.4's card-edit sends `SWITCHAPP -- openpgp` before OpenPGP operations. scd-ts drives
 * one application per card, so switching is only ever to that one; an empty name reports
 * without switching, any other name is NOT_FOUND (stock's answer for a name it does not know;
 * docs/conformance.md lists the stock trace this answers).
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openApp, parseLine } from "../command.ts";
import { sendStatus, serialNoStatus } from "../status.ts";

export const switchapp: Command = {
  name: "SWITCHAPP",
  help: [
    "SWITCHAPP [<appname>]",
    "",
    "Make APPNAME the active application for the current card and print",
    "  S SERIALNO <serialno> <apps>",
    "with the active application first.  Without APPNAME nothing is switched.",
    "scd-ts runs one application per card (openpgp).",
  ].join("\n"),
  async run(ctx, line) {
    const { args } = parseLine(line);
    const { card, app } = await openApp(ctx);
    const name = args[0] ?? "";
    if (name !== "" && name.toLowerCase() !== app.appType) throw new GpgError("NOT_FOUND");
    await sendStatus(ctx.conn, serialNoStatus(card.serialNo, [app.appType]));
  },
};

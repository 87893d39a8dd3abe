/**
 * GETATTR <name> [<keygrip>]: one card attribute as status lines (gpg/gnupg:scd/command.c
 * `cmd_getattr`, scd/app.c `app_getattr`; scdaemon-protocol.md §3 GETATTR). CARDTYPE,
 * APPTYPE and SERIALNO are answered here, as stock's app.c does; every other name goes to
 * the application (unknown names are INV_NAME there). The keygrip (2.4) only picks a card,
 * and a session has one.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openApp } from "../command.ts";
import { sendStatus, serialNoStatus } from "../status.ts";

/** Attributes whose value is secret (OpenPGP card 3.4 §4.4.1, private use DOs 3 and 4). */
const SECRET_NAMES = new Set(["PRIVATE-DO-3", "PRIVATE-DO-4"]);

/** GETATTR: one card attribute as status lines. */
export const getattr: Command = {
  name: "GETATTR",
  help: [
    "GETATTR <name> [<keygrip>]",
    "",
    "Send the card attribute NAME as status lines, e.g. DISP-NAME, KEY-FPR,",
    "KEY-ATTR, CHV-STATUS, SIG-COUNTER, EXTCAP, $DISPSERIALNO, SERIALNO.",
  ].join("\n"),
  async run(ctx, line) {
    const name = line.split(/[ \t]/, 1)[0] ?? "";
    const { card, app } = await openApp(ctx);
    if (name === "") throw new GpgError("INV_VALUE");
    // 2.4's app_getattr answers it for every app (`strcardtype`)
    if (name === "CARDTYPE") {
      return await ctx.conn.statusRaw("CARDTYPE", app.cardType ?? "generic");
    }
    if (name === "APPTYPE") return await ctx.conn.statusRaw("APPTYPE", app.appType);
    if (name === "SERIALNO") return await sendStatus(ctx.conn, serialNoStatus(card.serialNo));
    // 0103/0104 are readable only after PW1/PW3: their value stays out of the trace
    if (SECRET_NAMES.has(name)) ctx.conn.beginConfidential();
    await app.getAttr({ name }, ctx.operation());
  },
};

/**
 * PASSWD [--reset] [--nullpin] [--clear] <chvno> [<keygrip>]: change a PIN, reset a retry
 * counter or set the Reset Code, or (`--clear`) reset the PIN's verification on the card
 * (gpg/gnupg:scd/command.c `cmd_passwd`, scd/app-openpgp.c `do_change_pin`;
 * scdaemon-protocol.md §3 PASSWD). Every secret is asked for (stock forces the Admin PIN
 * here too); the application then has the cached copy of the changed or cleared PIN dropped.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { cardForKey } from "../key_lookup.ts";
import { type Command, parameterError } from "../command.ts";
import { cardOperation } from "../pin/mod.ts";
import { optionTokens } from "./pksign.ts";

export const passwd: Command = {
  name: "PASSWD",
  help: [
    "PASSWD [--reset] [--nullpin] [--clear] <chvno> [<keygrip>]",
    "",
    "Change the PIN or, with --reset, reset the retry counter of the card",
    "holder verification vector CHVNO (OpenPGP: 1 PIN, 2 Reset Code, 3 Admin",
    "PIN).  --clear resets the card's verification of that PIN so that it",
    "must be presented again.  PKCS#11 token: 1, 2 or P11.USER the user PIN",
    "(--reset: set it with the SO PIN), 3 or P11.SO the SO PIN.",
  ].join("\n"),
  async run(ctx, line) {
    const { tokens, rest } = optionTokens(line);
    const reset = tokens.includes("--reset");
    const nullPin = tokens.includes("--nullpin");
    const clear = tokens.includes("--clear");
    const chvRef = rest.split(/[ \t]/, 1)[0] ?? "";
    if (chvRef === "") throw parameterError("no CHV number given");
    if (clear && (reset || nullPin)) {
      throw new GpgError("UNSUPPORTED_OPERATION", {
        description: "--clear used with other options",
      });
    }
    const grip = rest.slice(chvRef.length).replace(/^[ \t]+/, "");
    const target = await cardForKey(
      ctx,
      grip.length === 40 ? grip : "",
      "UNSUPPORTED_OPERATION",
    );
    await using op = cardOperation(ctx, target.card, { fresh: true });
    await target.app.changePin({ chvRef, reset, nullPin, clear }, op.ctx);
  },
};

/**
 * SERIALNO: find (or re-find) the card, bind the session to it and report its serial
 * (gpg/gnupg:scd/command.c `cmd_serialno`; scdaemon-protocol.md §3 SERIALNO). It is the one
 * command that clears the sticky card-removed flag: failure sets it for this session, success
 * clears it for every session on that card.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import {
  checkNotLocked,
  type Command,
  parameterError,
  parseLine,
  type ScdContext,
} from "../command.ts";
import { sendStatus, serialNoStatus } from "../status.ts";

/** The application types SERIALNO can select. */
const APPTYPES = new Set(["openpgp", "undefined"]);

/**
 * `SERIALNO <app the card does not have>` as stock 2.2.40 and 2.4.7 answer it: the card is
 * looked for as usual (no card: that error), then CONFLICT; the session keeps the card it
 * had (GETINFO active_apps unchanged) but is marked removed until a SERIALNO succeeds.
 */
async function refuseApp(ctx: ScdContext, demand: string | undefined): Promise<never> {
  ctx.state.cardRemoved = true;
  if (!ctx.state.card) await ctx.cards.select({ demand, signal: ctx.signal });
  throw new GpgError("CONFLICT");
}

/** SERIALNO: select and bind the card, report its serial. */
export const serialno: Command = {
  name: "SERIALNO",
  help: [
    "SERIALNO [--demand=<serialno>] [--all] [<apptype>]",
    "",
    "Select the card (the one with SERIALNO when --demand is given) and print",
    "  S SERIALNO <hexstring>",
    "Every reader is scanned for new cards first; without --demand the most",
    "recently used (or found) card is taken.",
    "APPTYPE is openpgp (the default) or undefined (no application; raw APDUs).",
    "--all is accepted for gnupg 2.4 agents; OpenPGP is the only application.",
    "After a card change most commands fail with 'Card removed' until SERIALNO",
    "succeeds again.",
  ].join("\n"),
  async run(ctx, line) {
    checkNotLocked(ctx);
    const { options, args } = parseLine(line);
    const demand = options.get("demand");
    if (demand === true) throw parameterError("missing value for option");
    ctx.state.cardRemoved = false;
    const apptype = args[0]?.toLowerCase();
    if (apptype !== undefined && !APPTYPES.has(apptype)) return await refuseApp(ctx, demand);
    ctx.state.unbind();
    const card = await ctx.cards.select({
      apptype: args[0],
      demand,
      signal: ctx.signal,
    }).catch((e: unknown) => {
      ctx.state.cardRemoved = true;
      throw e;
    });
    ctx.state.bind(card);
    for (const other of ctx.daemon.sessions()) {
      if (other.card?.reader === card.reader) other.cardRemoved = false;
    }
    await sendStatus(ctx.conn, serialNoStatus(card.serialNo));
  },
};

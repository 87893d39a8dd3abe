/**
 * SWITCHCARD and SWITCHAPP (gnupg 2.4; gpg/gnupg:scd/command.c `cmd_switchcard`,
 * `cmd_switchapp`, scd/app.c `app_switch_current_card`, `app_switch_active_app`). SWITCHCARD
 * makes a known card this session's card without changing the MRU order (stock only swaps the
 * session's `card_ctx`) and prints `S SERIALNO <sn>`; a serial no known card has is NOT_FOUND.
 * SWITCHAPP prints `S SERIALNO <sn> <apps>`: OpenPGP is the only application, so any name
 * leaves it active, as stock does on a card without that application.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, openCard, parseLine } from "../command.ts";
import { sendStatus, serialNoStatus } from "../status.ts";

/** SWITCHCARD [<serialno>]: make another known card the session's card. */
export const switchcard: Command = {
  name: "SWITCHCARD",
  help: [
    "SWITCHCARD [<serialno>]",
    "",
    "Make the card with SERIALNO the current card.",
    'The command "getinfo card_list" can be used to list',
    "the serial numbers of inserted and known cards.  Note",
    'that the command "SERIALNO" can be used to refresh',
    "the list of known cards.  A simple SERIALNO status",
    "is printed on success.",
  ].join("\n"),
  async run(ctx, line) {
    await openCard(ctx);
    const { args } = parseLine(line);
    if (args[0] !== undefined) {
      const card = ctx.cards.bySerial(args[0]);
      if (!card) throw new GpgError("NOT_FOUND");
      ctx.state.bind(card);
    }
    const card = ctx.state.card;
    if (!card) throw new GpgError("CARD_NOT_INITIALIZED");
    await sendStatus(ctx.conn, serialNoStatus(card.serialNo));
  },
};

/** SWITCHAPP [<appname>]: report the active application of the session's card. */
export const switchapp: Command = {
  name: "SWITCHAPP",
  help: [
    "SWITCHAPP [<appname>]",
    "",
    "Make APPNAME the active application for the current card.",
    "Only some cards support switching between application; the",
    'command "getinfo active_app" can be used to get a list of',
    "applications which can be switched to.  A SERIALNO status",
    "including the active appname is printed on success.",
  ].join("\n"),
  async run(ctx) {
    const card = await openCard(ctx);
    if (!card.app) throw new GpgError("CARD_NOT_PRESENT");
    await sendStatus(ctx.conn, serialNoStatus(card.serialNo, [card.app.appType]));
  },
};

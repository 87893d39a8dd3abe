/**
 * GETINFO <what>: facts about the daemon and its cards (gpg/gnupg:scd/command.c
 * `cmd_getinfo`; scdaemon-protocol.md §3 GETINFO). The union of 2.2.40's and 2.4.7's
 * keywords; `reader_list` lists the reader backend's readers as 2.2 does (2.4 lists only its
 * internal CCID driver's). An unknown keyword is stock's exact error.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { getLog } from "../../log.ts";
import { manufacturerName } from "../../openpgp/mod.ts";
import { type Command, openCard, parameterError, parseCount, type ScdContext } from "../command.ts";
import type { CardEntry } from "../card_entry.ts";
import { sendStatus, serialNoStatus } from "../status.ts";

const log = getLog("scd");

/** Applications `GETINFO app_list` reports (`name:` lines). */
const APP_LIST = "openpgp:\n";

type Handler = (ctx: ScdContext, arg: string) => Promise<void>;

/**
 * The known cards in reader order, CARD_NOT_PRESENT when there are none (2.4
 * `send_card_and_app_list` sorts `card_top` by slot).
 */
function bySlot(ctx: ScdContext): CardEntry[] {
  const cards = ctx.cards.cards;
  if (cards.length === 0) throw new GpgError("CARD_NOT_PRESENT");
  return cards.sort((a, b) => a.slot - b.slot);
}

const HANDLERS: Record<string, Handler> = {
  version: async (ctx) => await ctx.conn.data(await ctx.daemon.version()),
  pid: (ctx) => ctx.conn.data(String(ctx.daemon.pid)),
  socket_name: async (ctx) => {
    const name = ctx.daemon.socketName;
    if (name === undefined) throw new GpgError("NO_DATA");
    await ctx.conn.data(name);
  },
  connections: (ctx) => ctx.conn.data(String(ctx.daemon.connections())),
  status: async (ctx) => {
    const usable = await openCard(ctx).then(() => true, () => false);
    await ctx.conn.data(usable ? "u" : "r");
  },
  reader_list: async (ctx) => {
    const readers = await ctx.cards.readers(ctx.signal);
    if (readers.length === 0) throw new GpgError("NO_DATA");
    for (const reader of readers) { // one D line per reader, like 2.2's pretty_assuan_send_data
      await ctx.conn.data(`${reader}\n`);
      await ctx.conn.flushData();
    }
  },
  deny_admin: (ctx) => {
    if (!ctx.daemon.config.denyAdmin) throw new GpgError("GENERAL");
    return Promise.resolve();
  },
  app_list: (ctx) => ctx.conn.data(APP_LIST),
  card_list: async (ctx) => {
    for (const card of bySlot(ctx)) await sendStatus(ctx.conn, serialNoStatus(card.serialNo));
  },
  active_apps: async (ctx) => {
    const card = ctx.state.card;
    if (card?.app) await sendStatus(ctx.conn, serialNoStatus(card.serialNo, [card.app.appType]));
  },
  all_active_apps: async (ctx) => {
    for (const card of bySlot(ctx)) {
      if (card.app) await sendStatus(ctx.conn, serialNoStatus(card.serialNo, [card.app.appType]));
    }
  },
  cmd_has_option: (_ctx, arg) => {
    const [cmd, opt] = arg.split(/[ \t]+/).filter((s) => s !== "");
    if (cmd === undefined || opt === undefined) throw new GpgError("MISSING_VALUE");
    // The only option clients probe for (2.4 command_has_option).
    if (!(cmd === "SERIALNO" && opt === "all")) throw new GpgError("FALSE");
    return Promise.resolve();
  },
  // 2.4: the OpenPGP manufacturer name of an id (`app_openpgp_manufacturer`).
  manufacturer: (ctx, arg) => ctx.conn.data(manufacturerName(parseCount(arg))),
  dump_state: (ctx) => {
    log.info("State: {cards} card(s) known, {sessions} session(s)", {
      cards: ctx.cards.cards.length,
      sessions: ctx.daemon.connections(),
    });
    return Promise.resolve();
  },
};

/** Keywords that take an argument; matched as a leading word (`has_leading_keyword`). */
const WITH_ARGUMENT = new Set(["cmd_has_option", "manufacturer"]);

/** GETINFO: daemon and card facts. */
export const getinfo: Command = {
  name: "GETINFO",
  help: [
    "GETINFO <what>",
    "",
    "Multi purpose command to return certain information.",
    "Supported values of WHAT are:",
    "  version     - scdaemon version this daemon is compatible with",
    "  pid         - process id of the daemon",
    "  socket_name - name of the listening socket (--multi-server)",
    "  connections - number of active connections",
    "  status      - 'u' if a card is usable, else 'r'",
    "  reader_list - names of the card readers, one per line",
    "  deny_admin  - OK if admin commands are denied, else an error",
    "  app_list    - supported applications, one 'name:' per line",
    "  card_list   - S SERIALNO line per known card",
    "  active_apps - S SERIALNO <serialno> <apps> for this session's card",
    "  all_active_apps - the same for all known cards",
    "  cmd_has_option CMD OPT - OK if command CMD has option OPT",
    "  manufacturer N - name of the OpenPGP card manufacturer with id N",
    "  dump_state  - log the daemon's state",
  ].join("\n"),
  async run(ctx, line) {
    if (Object.hasOwn(HANDLERS, line) && !WITH_ARGUMENT.has(line)) {
      return await HANDLERS[line]!(ctx, "");
    }
    const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
    if (m && WITH_ARGUMENT.has(m[1]!)) return await HANDLERS[m[1]!]!(ctx, m[2] ?? "");
    throw parameterError("unknown value for WHAT");
  },
};

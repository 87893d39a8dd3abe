/**
 * DEVINFO [--watch] (gnupg 2.4; gpg/gnupg:scd/command.c `cmd_devinfo`, scd/app.c
 * `app_send_devinfo`, `card_list_wait`; the lines measured on stock 2.4.7 are in
 * docs/multi-card.md). Lists the known cards, most recently used first:
 *
 *   S DEVINFO_START / S DEVICE generic <serialno> openpgp … / S DEVINFO_END
 *
 * Without a card the list is empty and the command fails with NOT_FOUND. `--watch` lists once,
 * opens the current card (any new card is registered) and leaves it, then — on a socket
 * connection only; the pipe gets INV_HANDLE at this point, like stock 2.4.6+ (T7151) — lists
 * again and after every change: a removal is announced with `S DEVINFO_STATUS removal`, a
 * card registered by a scan (any session's SERIALNO) with `S DEVINFO_STATUS new`. It ends with OK on any client input, as stock does.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type CardChange, NoCardError } from "../card_entry.ts";
import { type Command, openCard, parseLine, type ScdContext } from "../command.ts";
import { devinfoStatus, sendStatus } from "../status.ts";

/** The status keyword of a change as stock's `update_reader_status_file` sends it. */
const CHANGE_STATUS: Record<CardChange["type"], string> = {
  removed: "removal",
  inserted: "removal", // a card seen in a reader drops whatever was there before
  new: "new",
};

async function sendList(ctx: ScdContext): Promise<boolean> {
  await ctx.conn.statusRaw("DEVINFO_START", "");
  const cards = ctx.cards.cards.filter((c) => c.app);
  for (const card of cards) {
    const app = card.app!;
    await sendStatus(ctx.conn, devinfoStatus(card.serialNo, app.appType, app.cardType));
  }
  await ctx.conn.statusRaw("DEVINFO_END", "");
  return cards.length > 0;
}

/**
 * The card changes seen since the watch began, as DEVINFO_STATUS keywords; `undefined` is the
 * end (client input or abort). Subscribed once, so no change between two rounds is lost.
 */
function watchChanges(ctx: ScdContext): { next(): Promise<string | undefined>; stop(): void } {
  const queue: (string | undefined)[] = [];
  let wake: (() => void) | undefined;
  const push = (value: string | undefined) => {
    queue.push(value);
    wake?.();
  };
  const unsubscribe = ctx.cards.onChange((change) => {
    // stock reports a card once a scan opened it; an insertion only counts when it replaced
    // a known card (a swap: that card is gone)
    if (change.type === "inserted" && !change.dropped) return;
    push(CHANGE_STATUS[change.type]);
  });
  const onAbort = () => push(undefined);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  void ctx.conn.inputPending().then(() => push(undefined));
  return {
    async next() {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return queue.shift();
    },
    stop() {
      unsubscribe();
      ctx.signal.removeEventListener("abort", onAbort);
    },
  };
}

export const devinfo: Command = {
  name: "DEVINFO",
  help: [
    "DEVINFO [--watch]",
    "",
    "Return information about devices.  If the option --watch is given,",
    "it keeps reporting status change until the client sends a line.",
    "The information is returned as a status line using the format:",
    "",
    "  DEVICE <card_type> <serialno> <app_type>",
  ].join("\n"),
  async run(ctx, line) {
    if (!parseLine(line).options.has("watch")) {
      if (!(await sendList(ctx))) throw new GpgError("NOT_FOUND");
      return;
    }
    await sendList(ctx);
    ctx.state.cardRemoved = false;
    await openCard(ctx).catch((e: unknown) => {
      if (!(e instanceof NoCardError)) throw e;
    });
    ctx.state.unbind();
    // stock refuses only when the watch itself starts (app.c `app_send_devinfo` with
    // keep_looping), after the list and the card open: the pipe gets both, then INV_HANDLE
    if (ctx.state.pipe) throw new GpgError("INV_HANDLE");
    const changes = watchChanges(ctx);
    try {
      for (;;) {
        await sendList(ctx);
        const status = await changes.next();
        if (status === undefined) return;
        await ctx.conn.statusRaw("DEVINFO_STATUS", status);
      }
    } finally {
      changes.stop();
    }
  },
};

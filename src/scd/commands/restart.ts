/**
 * RESTART: forget this session's card binding and release its lock, leaving the card alone
 * (gpg/gnupg:scd/command.c `cmd_restart`). gpg-agent sends it on its primary pipe at the end
 * of every client session, so the next client starts clean (scdaemon-protocol.md §1.3).
 * @module
 */

import { getLog } from "../../log.ts";
import type { Command } from "../command.ts";

const log = getLog("scd");

/** RESTART: unbind the session, release its lock. */
export const restart: Command = {
  name: "RESTART",
  help: [
    "RESTART",
    "",
    "Forget the card this session was using and release a LOCK it holds,",
    "as if the client had reconnected. The card is not reset.",
  ].join("\n"),
  run(ctx) {
    ctx.state.unbind();
    if (ctx.cards.sessionLock.unlock(ctx.state) === "unlocked") {
      log.info("Implicitly unlocking due to RESTART");
    }
    return Promise.resolve();
  },
};

/**
 * DISCONNECT: stock drops its long-held PC/SC handle (`apdu_disconnect`). scd-ts never holds
 * one (every operation connects, transacts and disconnects), so there is nothing to drop:
 * it answers OK when the session has a card, UNSUPPORTED_OPERATION otherwise, like stock.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import type { Command } from "../command.ts";

/** DISCONNECT: nothing to drop; checks the session has a card. */
export const disconnect: Command = {
  name: "DISCONNECT",
  help: [
    "DISCONNECT",
    "",
    "Disconnect from the card. scd-ts holds no connection between operations,",
    "so this only checks that the session has a card.",
  ].join("\n"),
  run(ctx) {
    if (!ctx.state.card) throw new GpgError("UNSUPPORTED_OPERATION");
    return Promise.resolve();
  },
};

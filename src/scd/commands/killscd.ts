/**
 * KILLSCD: end this session and then the process (gpg/gnupg:scd/command.c `cmd_killscd`;
 * `gpgconf --kill scdaemon` goes through it, scdaemon-protocol.md §1.4). The reply is
 * `OK closing connection`; the daemon exits once this session's cleanup ran.
 * @module
 */

import type { Command } from "../command.ts";

/** KILLSCD: close the session and end the process. */
export const killscd: Command = {
  name: "KILLSCD",
  help: ["KILLSCD", "", "Close this connection and terminate scd-ts."].join("\n"),
  run(ctx) {
    ctx.state.stopRequested = true;
    ctx.conn.forceClose();
    return Promise.resolve();
  },
};

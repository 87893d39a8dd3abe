/**
 * LOCK [--wait] and UNLOCK: give one session the card to itself at the scdaemon level
 * (gpg/gnupg:scd/command.c `cmd_lock`, `cmd_unlock`; gpg's factory reset uses them). Other
 * sessions then get LOCKED from every card command. It is not a PC/SC lock: other PC/SC
 * clients are kept out only for the length of each transaction, as always.
 * With --wait the command retries every second and sends `S PROGRESS scd_locked . 0 0`, so a
 * client that went away is noticed.
 * @module
 */

import { GpgError } from "../../gpg_error/mod.ts";
import { type Command, parseLine } from "../command.ts";
import { lockWaitProgress, sendStatus } from "../status.ts";

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    };
    const abort = () => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}

/** LOCK: reserve the card for this session. */
export const lock: Command = {
  name: "LOCK",
  help: [
    "LOCK [--wait]",
    "",
    "Reserve the card for this session; other sessions get 'Locked' until UNLOCK,",
    "RESET, RESTART or the end of this session. With --wait, wait for a lock",
    "held by another session instead of failing.",
  ].join("\n"),
  async run(ctx, line) {
    const wait = parseLine(line).options.has("wait");
    while (!ctx.cards.sessionLock.lock(ctx.state)) {
      if (!wait) throw new GpgError("LOCKED");
      await sleep(1000, ctx.signal);
      await sendStatus(ctx.conn, lockWaitProgress());
    }
  },
};

/** UNLOCK: release the LOCK. */
export const unlock: Command = {
  name: "UNLOCK",
  help: ["UNLOCK", "", "Release the lock taken with LOCK."].join("\n"),
  run(ctx) {
    const result = ctx.cards.sessionLock.unlock(ctx.state);
    if (result === "not-locked") throw new GpgError("NOT_LOCKED");
    if (result === "locked-by-other") throw new GpgError("LOCKED");
    return Promise.resolve();
  },
};

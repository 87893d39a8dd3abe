/**
 * Touch (UIF) for the ssh-agent: the OpenPGP application calls the operation's `touchPending`
 * right before the command the card holds until a touch (from its card model's UIF of the key).
 * There is no gpg-agent to show "Push ACK button", so the agent says it in its log and, where
 * `notify-send` is on PATH, on the desktop.
 * @module
 */

import { getLog } from "../log.ts";

const log = getLog("ssh");

/** Tell the user the card waits for a touch: a log line, and notify-send when present. */
export function announceTouch(serial: string, notifySend: string | undefined): void {
  log.info("Card {serial} waits for a touch to sign for ssh", { serial });
  if (!notifySend) return;
  try {
    const child = new Deno.Command(notifySend, {
      args: ["--app-name=scd-ts", "Touch your card", `Card ${serial} waits for a touch (ssh)`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.status.catch(() => {});
    child.unref();
  } catch (e) {
    log.debug("Cannot run notify-send: {error}", { error: (e as Error).message });
  }
}

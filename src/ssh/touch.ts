/**
 * What the ssh-agent tells the person, having no gpg-agent to show a prompt: a log line and,
 * where `notify-send` is on PATH, a desktop notification. Touch (UIF): the OpenPGP application
 * calls the operation's `touchPending` right before the command the card holds until a touch
 * (from its card model's UIF of the key), where gpg-agent would show "Push ACK button". PIN pad:
 * a PKCS#11 token's login calls `pinPadPrompt` before it waits for the PIN typed there.
 * @module
 */

import { getLog } from "../log.ts";

const log = getLog("ssh");

/** Tell the user the card waits for a touch: a log line, and notify-send when present. */
export function announceTouch(serial: string, notifySend: string | undefined): void {
  log.info("Card {serial} waits for a touch to sign for ssh", { serial });
  notify(notifySend, "Touch your card", `Card ${serial} waits for a touch (ssh)`);
}

/**
 * Tell the user to type the PIN on the device's own PIN pad (a PKCS#11 token with
 * CKF_PROTECTED_AUTHENTICATION_PATH): what gpg-agent's POPUPPINPADPROMPT shows for the daemon.
 */
export function announcePinPad(serial: string, notifySend: string | undefined): void {
  log.info("Token {serial} waits for its PIN on the PIN pad (ssh)", { serial });
  notify(notifySend, "Enter your PIN on the PIN pad", `Token ${serial} waits for its PIN (ssh)`);
}

function notify(notifySend: string | undefined, title: string, body: string): void {
  if (!notifySend) return;
  try {
    const child = new Deno.Command(notifySend, {
      args: ["--app-name=scd-ts", title, body],
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

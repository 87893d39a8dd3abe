/**
 * Touch (UIF) for the ssh-agent: when the authentication key's user interaction flag (DO D8,
 * read as GETATTR UIF-3 like the daemon's card_facts.ts) is on, the card waits for a touch
 * after the PIN. There is no gpg-agent to show "Push ACK button", so the agent says it in its
 * log and, where `notify-send` is on PATH, on the desktop. The flag is read once per card
 * insertion (registry entry).
 * @module
 */

import type { CardApplication, OperationContext, StatusSink } from "../app/mod.ts";
import { getLog } from "../log.ts";

const log = getLog("ssh");

const uif = new WeakMap<object, boolean>();

/** Whether `app`'s authentication key waits for a touch (read once per `card`). */
export async function authWaitsForTouch(
  card: object,
  app: CardApplication,
  ctx: Omit<OperationContext, "status">,
): Promise<boolean> {
  const known = uif.get(card);
  if (known !== undefined) return known;
  let on = false;
  const status: StatusSink = {
    emit(keyword, ...args) {
      const v = args[0];
      const first = typeof v === "string" ? v.charCodeAt(0) : v?.[0];
      if (keyword === "UIF-3" && first !== undefined && first !== 0) on = true;
    },
    emitRaw() {},
  };
  try {
    await app.getAttr({ name: "UIF" }, { ...ctx, status });
  } catch (e) {
    log.debug("Cannot read UIF; assuming no touch: {error}", { error: (e as Error).message });
    return false;
  }
  uif.set(card, on);
  return on;
}

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

/**
 * The scd layer's side of the card-state model (the OpenPGP application keeps the data, see
 * src/openpgp/card_state.ts; docs/card-state.md): when what scd-ts knows about a card may no
 * longer be trusted, and what to do when an operation finds another card than it began with.
 *
 * The model is dropped on every reader event (cards.ts: removal, insertion, a swap seen by
 * pcsc-lite's event counter, pcscd gone), on RESET, by LEARN --force, by our own writes, and
 * when it is older than the age limit set here — the bound on changes made by another
 * program between our transactions, which no event reports.
 * @module
 */

import { CardChangedError } from "../app/mod.ts";
import { getLog } from "../log.ts";
import type { CardEntry } from "./card_entry.ts";
import type { ScdContext } from "./command.ts";
import { readerSetting } from "./reader_settings.ts";

const log = getLog("scd");

/** Drop what is known about `card` when it is older than the age limit (0: always). */
export function refreshIfStale(ctx: ScdContext, card: CardEntry): void {
  const age = card.app?.stateAgeMs?.();
  if (age === undefined) return;
  const ttl = readerSetting(ctx.daemon.config, "card-state-ttl");
  if (age < ttl) return;
  log.debug("Card state of {serial} is {age} ms old; reading the card again", {
    serial: card.serialNo,
    age,
  });
  card.app!.invalidate();
}

/**
 * After a failed command: when it found another card in the reader than the one it began
 * with, forget the card so that the next SERIALNO opens the new one, and report the change
 * to this session as stock does after a removal (CARD_REMOVED until SERIALNO).
 */
export function noteCardChange(ctx: ScdContext, error: unknown): void {
  if (!(error instanceof CardChangedError)) return;
  const card = ctx.state.card;
  if (!card) return;
  log.info("Card in {reader} changed during an operation", { reader: card.reader });
  ctx.cards.forget(card.reader);
  ctx.state.cardRemoved = true;
}

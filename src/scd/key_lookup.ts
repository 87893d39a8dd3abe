/**
 * Which card a key id refers to. Keygrip lookup follows stock 2.4's `card_get(ctrl,
 * keygrip)` (gpg/gnupg:scd/app.c): a 40-character key id picks the known card that holds
 * that key, else the command fails (PKSIGN/PKDECRYPT NO_SECKEY, PKAUTH UNSUPPORTED_OPERATION,
 * READCERT CARD_NOT_PRESENT, PASSWD UNSUPPORTED_OPERATION). The keys come from each card's
 * application, which answers from its card model (no card I/O while it is current) and
 * checks the grip itself again when it uses the key.
 * @module
 */

import type { CardApplication, KeyInfo } from "../app/mod.ts";
import { GpgError, type GpgErrorName } from "../gpg_error/mod.ts";
import { getLog } from "../log.ts";
import type { CardEntry } from "./card_entry.ts";
import { openApp, type ScdContext } from "./command.ts";

const log = getLog("scd");

/** A card with its application, as the commands use it. */
export interface AppCard {
  card: CardEntry;
  app: CardApplication;
}

/**
 * The card a key id refers to (stock `open_card` + `card_get`): the session's card, or for
 * a 40-character id the known card holding that keygrip, tried in most-recently-used order
 * like stock's `do_with_keygrip` walks `card_top` (so of two cards with the same key, a
 * main and a backup, the one used last signs); `missing` when none has it.
 */
export async function cardForKey(
  ctx: ScdContext,
  keyId: string,
  missing: GpgErrorName,
): Promise<AppCard & { key?: KeyInfo }> {
  const own = await openApp(ctx);
  if (keyId.length !== 40) return own;
  const grip = keyId.toUpperCase();
  const known = ctx.cards.cards.filter((c) => c.app);
  const order = known.some((c) => c.id === own.card.id) ? known : [own.card, ...known];
  for (const entry of order.map((card) => ({ card, app: card.app! }))) {
    const keys = await entry.app.listKeys(ctx.operation()).catch((e) => {
      log.debug("Cannot list keys of {serial}: {error}", { serial: entry.card.serialNo, error: e });
      return [];
    });
    const key = keys.find((k) => k.keygrip === grip);
    if (key) return { ...entry, key };
  }
  throw new GpgError(missing);
}

/**
 * What the PIN commands need to know about a card before they call it, remembered per card
 * connection (registry entry) so that a signature costs no extra card transaction: which
 * key slot holds a keygrip, and which slots wait for a touch (UIF).
 *
 * Keygrip lookup follows stock 2.4's `card_get(ctrl, keygrip)` (gpg/gnupg:scd/app.c): a
 * 40-character key id picks the known card that holds that key, else the command fails
 * (PKSIGN/PKDECRYPT NO_SECKEY, PKAUTH UNSUPPORTED_OPERATION, READCERT CARD_NOT_PRESENT,
 * PASSWD UNSUPPORTED_OPERATION). Remembered grips are only a shortcut: a miss reads the
 * card's keys again before failing, and the application checks the grip itself anyway.
 * @module
 */

import type { CardApplication, KeyInfo, StatusSink } from "../app/mod.ts";
import { GpgError, type GpgErrorName } from "../gpg_error/mod.ts";
import { getLog } from "../log.ts";
import type { CardEntry } from "./card_entry.ts";
import { openApp, type ScdContext } from "./command.ts";

const log = getLog("scd");

const keysCache = new WeakMap<CardEntry, KeyInfo[]>();
const uifCache = new WeakMap<CardEntry, readonly boolean[]>();

/** A card with its application, as the commands use it. */
export interface AppCard {
  card: CardEntry;
  app: CardApplication;
}

async function readKeys(ctx: ScdContext, entry: AppCard, fresh: boolean): Promise<KeyInfo[]> {
  const known = keysCache.get(entry.card);
  if (known && !fresh) return known;
  const keys = await entry.app.listKeys(ctx.operation());
  keysCache.set(entry.card, keys);
  return keys;
}

/** The key with `keygrip` on `entry`'s card, if any (re-reading the keys on a miss). */
export async function findKey(
  ctx: ScdContext,
  entry: AppCard,
  keygrip: string,
): Promise<KeyInfo | undefined> {
  const grip = keygrip.toUpperCase();
  const hit = (await readKeys(ctx, entry, false)).find((k) => k.keygrip === grip);
  return hit ?? (await readKeys(ctx, entry, true)).find((k) => k.keygrip === grip);
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
  const known = ctx.cards.cards.filter((c) => c.app);
  const order = known.some((c) => c.id === own.card.id) ? known : [own.card, ...known];
  for (const entry of order.map((card) => ({ card, app: card.app! }))) {
    const key = await findKey(ctx, entry, keyId).catch((e) => {
      log.debug("Cannot list keys of {serial}: {error}", { serial: entry.card.serialNo, error: e });
      return undefined;
    });
    if (key) return { ...entry, key };
  }
  throw new GpgError(missing);
}

/**
 * Whether UIF is on for key slot 0–2 (GETATTR UIF-1..3: first byte ≠ 0), read once per card
 * connection; a card without a button reports nothing and counts as "off".
 */
export async function uifEnabled(
  ctx: ScdContext,
  entry: AppCard,
  slot: 0 | 1 | 2,
): Promise<boolean> {
  let state = uifCache.get(entry.card);
  if (!state) {
    state = await readUif(ctx, entry.app);
    uifCache.set(entry.card, state);
  }
  return state[slot] ?? false;
}

async function readUif(ctx: ScdContext, app: CardApplication): Promise<readonly boolean[]> {
  const on = [false, false, false];
  const status: StatusSink = {
    emit(keyword, ...args) {
      const m = /^UIF-([123])$/.exec(keyword);
      const v = args[0];
      const first = typeof v === "string" ? v.charCodeAt(0) : v?.[0];
      if (m && first !== undefined && first !== 0) on[Number(m[1]) - 1] = true;
    },
    emitRaw() {},
  };
  try {
    await app.getAttr({ name: "UIF" }, { ...ctx.operation(), status });
  } catch (e) {
    log.debug("Cannot read UIF; assuming no touch: {error}", { error: e });
  }
  return on;
}

/** Forget the remembered keys and UIF of `card` (after GENKEY, WRITEKEY, SETATTR). */
export function forgetCardFacts(card: CardEntry): void {
  keysCache.delete(card);
  uifCache.delete(card);
}

/** Key slot 0–2 of an `OPENPGP.n` reference (any case), else undefined. */
export function keyRefSlot(keyRef: string | undefined): 0 | 1 | 2 | undefined {
  const m = /^OPENPGP\.([123])$/i.exec(keyRef ?? "");
  return m ? (Number(m[1]) - 1) as 0 | 1 | 2 : undefined;
}

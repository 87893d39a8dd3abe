/**
 * What a scan does with each reader, decided from reader states alone (design.md §2.4: reader
 * states are the truth, connects are for cards). A pure function, so every case — hot-plug,
 * a mute card, a card another program holds exclusively, pcscd restarting — is a unit test.
 *
 * An *insertion* is one stay of one card in one reader: its ATR and pcsc-lite's event counter
 * (which moves on every insertion and removal). A card is opened once per insertion; a card
 * without an OpenPGP application is remembered as such until its reader's state changes.
 * After pcscd restarted, counters start again, so a known insertion is matched by its ATR only
 * and the card must be opened to prove it is the same one (`confirm`).
 * @module
 */

import type { ReaderState } from "../pcsc/mod.ts";
import { equalBytes } from "../util/bytes.ts";

/** One insertion; `counter` undefined means "pcscd restarted since: match the ATR only". */
export interface Insertion {
  readonly atr: Uint8Array;
  readonly counter: number | undefined;
}

/** Why a reader is passed over without a connect. */
export type SkipReason = "empty" | "mute" | "exclusive" | "no-app";

/** The plan for one reader; `slot` is its position among the readers scanned. */
export type ScanStep =
  & { readonly reader: string; readonly slot: number }
  & (
    | { readonly action: "keep" } // the known card is still there: no PC/SC call
    | { readonly action: "open" } // a new insertion: open its application
    | { readonly action: "confirm" } // same ATR after a pcscd restart: open and compare
    | { readonly action: "drop" } // the known card is gone
    | { readonly action: "skip"; readonly why: SkipReason }
  );

/** The insertion a reader state shows. */
export function insertionOf(state: ReaderState): Insertion {
  return { atr: state.atr, counter: state.counter };
}

/** True when `state` shows exactly the insertion `known` (same counter and ATR). */
export function sameInsertion(known: Insertion, state: ReaderState): boolean {
  return known.counter !== undefined && known.counter === state.counter &&
    equalBytes(known.atr, state.atr);
}

/**
 * The plan for `states` (already filtered by the reader setting, in pcscd's order), given the
 * insertions of the cards the registry knows and of the cards found without an application.
 */
export function planScan(
  states: readonly ReaderState[],
  known: ReadonlyMap<string, Insertion>,
  noApp: ReadonlyMap<string, Insertion>,
): ScanStep[] {
  return states.map((state, slot) => {
    const at = { reader: state.reader, slot };
    const card = known.get(state.reader);
    if (state.card !== "present") {
      if (card) return { ...at, action: "drop" };
      return { ...at, action: "skip", why: state.card === "mute" ? "mute" : "empty" };
    }
    if (card && sameInsertion(card, state)) return { ...at, action: "keep" };
    // another program holds the card exclusively: a connect would only fail, so wait for it
    const exclusive = { ...at, action: "skip", why: "exclusive" } as const;
    if (card && card.counter === undefined && equalBytes(card.atr, state.atr)) {
      return state.exclusive ? exclusive : { ...at, action: "confirm" };
    }
    if (card) return state.exclusive ? { ...at, action: "drop" } : { ...at, action: "open" };
    const app = noApp.get(state.reader);
    if (app && sameInsertion(app, state)) return { ...at, action: "skip", why: "no-app" };
    if (state.exclusive) return exclusive;
    return { ...at, action: "open" };
  });
}

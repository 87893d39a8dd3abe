/**
 * What the card registry (cards.ts) hands out and takes: its entries, the changes it
 * announces, how it opens an application and why it found no card.
 * @module
 */

import type { CardApplication } from "../app/mod.ts";
import { getLog } from "../log.ts";
import type { CardReaderBackend } from "../pcsc/mod.ts";

const log = getLog("scd");

/** Why no card could be used (mapped to gpg-error in errors.ts). */
export type NoCardReason = "no-reader" | "no-card" | "not-found";

/** No reader, no card, or no card that matches the request. */
export class NoCardError extends Error {
  override name = "NoCardError";
  /** What was missing. */
  readonly reason: NoCardReason | "removed";

  constructor(reason: NoCardReason | "removed", message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** What an {@linkcode AppOpener} gets. */
export interface AppOpenRequest {
  backend: CardReaderBackend;
  reader: string;
  signal?: AbortSignal | undefined;
}

/**
 * Opens the card application in `reader`: one card operation that selects it and reads its
 * identity (serial). Throws the backend's error when the reader has no card.
 */
export type AppOpener = (request: AppOpenRequest) => Promise<CardApplication>;

/** A card the registry knows: the reader it sits in and its application. */
export interface CardEntry {
  /** Registry-unique id; a re-inserted card gets a new one. */
  readonly id: number;
  readonly reader: string;
  /** The application, or undefined when opened as `undefined` (raw APDUs only). */
  readonly app: CardApplication | undefined;
  /** Hex serial as `S SERIALNO` prints it (the OpenPGP AID; `FF7F00` without an app). */
  readonly serialNo: string;
  /** Position of the reader in the reader list when the card was opened (stock's slot). */
  readonly slot: number;
}

/** A change the monitor or a scan saw, after the registry updated itself. */
export interface CardChange {
  readonly type: "inserted" | "removed" | "new";
  readonly reader: string;
  /** The entry that was dropped (removal or swap), if the registry knew one. */
  readonly dropped?: CardEntry | undefined;
}

/** What `CardRegistry.select` is asked for. */
export interface SelectRequest {
  /** `SERIALNO <apptype>`: "openpgp" (default) or "undefined" (no application). */
  apptype?: string | undefined;
  /** `--demand=<hex serial>`: only this card (compared case-insensitively). */
  demand?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** The registry's change listeners: each is told every change; one that throws is logged. */
export class ChangeFeed {
  #listeners = new Set<(change: CardChange) => void>();

  /** Adds `listener`; returns the function that removes it. */
  listen(listener: (change: CardChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells every listener (a copy of the set: a listener may unsubscribe meanwhile). */
  announce(change: CardChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (e) {
        log.error("Card change listener failed: {error}", { error: e });
      }
    }
  }
}

/** Options for `CardRegistry`. */
export interface CardRegistryOptions {
  /** Opens the card application (OpenPGP) on a reader. */
  openApp: AppOpener;
  /** Which reader(s), like `--reader-port` (pcsc/reader_match.ts). */
  readerPort?: string | undefined;
  /** `monitor-idle`: stop the monitor after this many ms without a command; 0 = never. */
  monitorIdleMs?: number | undefined;
}

/** Two applications opened on the same card: both say so with the same identity. */
export function sameCard(a: CardApplication | undefined, b: CardApplication): boolean {
  const before = a?.identity?.();
  return before !== undefined && before === b.identity?.();
}

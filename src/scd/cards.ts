/**
 * The process-wide card registry: which readers have which card application, the LOCK owner,
 * and card-change events from the reader backend's monitor (stock: the `card_top` list in
 * gpg/gnupg:scd/app.c plus `locked_session` in scd/command.c).
 *
 * Invariant: **the registry holds no PC/SC handle.** A {@linkcode CardEntry} is a reader name
 * plus the card application opened on it; every card operation goes through the backend's
 * `withCard` (one transaction, the app re-SELECTs itself). An entry is dropped as soon as the
 * monitor reports a removal, a swap or pcscd going away; without a working monitor nothing is
 * cached and every SERIALNO opens the card afresh.
 *
 * Several cards at once follow stock 2.4's `select_application` (gpg/gnupg:scd/app.c): a
 * scan opens the card in every reader (pcscd's order, optionally filtered by `SCD_TS_READER`,
 * like `--reader-port`); readers without a card and cards without an OpenPGP application are
 * passed over; each newly found card goes to the front of the most-recently-used list, so
 * after a scan of empty registry the card in the last reader is the current one, as with
 * stock. `--demand` picks a card by serial and moves it to the front; no card at all is
 * ENODEV. Each entry has its own cached application, PIN cache entries (keyed by the entry,
 * see operation.ts) and card facts; none holds a PC/SC handle.
 * @module
 */

import type { CardApplication } from "../app/mod.ts";
import { getLog } from "../log.ts";
import type { CardOperation, CardOperationOptions, CardReaderBackend } from "../pcsc/mod.ts";

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

/** A change the monitor saw, after the registry updated itself. */
export interface CardChange {
  readonly type: "inserted" | "removed" | "new";
  readonly reader: string;
  /** The entry that was dropped (removal or swap), if the registry knew one. */
  readonly dropped?: CardEntry | undefined;
}

/** Options for {@linkcode CardRegistry}. */
export interface CardRegistryOptions {
  /** Opens the card application (OpenPGP) on a reader. */
  openApp: AppOpener;
  /**
   * Which reader(s), like `--reader-port`: an exact name, else an index into pcscd's list
   * (all digits, 0-based as 2.4's `reader-port N`), else every reader containing it.
   */
  readerPort?: string | undefined;
}

/** What {@linkcode CardRegistry.select} is asked for. */
export interface SelectRequest {
  /** `SERIALNO <apptype>`: "openpgp" (default) or "undefined" (no application). */
  apptype?: string | undefined;
  /** `--demand=<hex serial>`: only this card (compared case-insensitively). */
  demand?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Serial stock prints for a card without an application and without EF.GDO (app.c). */
const NO_SERIAL = "FF7F00";

/** The card registry; one per process. */
export class CardRegistry implements AsyncDisposable {
  /** Where cards live (PC/SC or in-process). */
  readonly backend: CardReaderBackend;
  #openApp: AppOpener;
  #readerPort: string | undefined;
  #cards = new Map<string, CardEntry>();
  #nextId = 1;
  #lockOwner: object | undefined;
  #listeners = new Set<(change: CardChange) => void>();
  #watch: AsyncDisposable | undefined;
  #watching = false;
  #scanError: unknown;

  constructor(backend: CardReaderBackend, options: CardRegistryOptions) {
    this.backend = backend;
    this.#openApp = options.openApp;
    this.#readerPort = options.readerPort;
  }

  /** True while the monitor runs, i.e. entries may be reused between commands. */
  get watching(): boolean {
    return this.#watching;
  }

  /** Known cards, most recently selected first (stock keeps `card_top` in that order). */
  get cards(): CardEntry[] {
    return [...this.#cards.values()].reverse();
  }

  /** Reader names after the `readerPort` filter; `[]` when none. */
  async readers(signal?: AbortSignal): Promise<string[]> {
    const all = await this.backend.listReaders(signal ? { signal } : {});
    const port = this.#readerPort;
    if (!port) return all;
    const exact = all.filter((r) => r === port);
    if (exact.length > 0) return exact;
    if (/^\d+$/.test(port)) return all.slice(Number(port), Number(port) + 1);
    return all.filter((r) => r.includes(port));
  }

  /**
   * Open the card in every reader not yet known (stock's device scan in
   * `select_application`); known entries are kept while the monitor runs. Each new card goes
   * to the front of the MRU order and is announced as a "new" change (DEVINFO --watch).
   * Readers whose card cannot be opened (none, or no OpenPGP application) are passed over.
   */
  async scan(signal?: AbortSignal): Promise<string[]> {
    const readers = await this.readers(signal);
    this.#scanError = undefined;
    for (const [slot, reader] of readers.entries()) {
      const known = this.#cards.get(reader);
      if (known?.app && this.#watching) continue;
      try {
        const entry = await this.#entryFor(reader, undefined, slot, signal);
        this.#touch(entry);
        if (entry !== known) this.#announce({ type: "new", reader });
      } catch (e) {
        signal?.throwIfAborted();
        log.debug("No usable card in {reader}: {error}", { reader, error: e });
        this.#scanError ??= e;
      }
    }
    return readers;
  }

  /** Find or open a card (SERIALNO, and the auto-select of other commands). */
  async select(request: SelectRequest = {}): Promise<CardEntry> {
    const apptype = request.apptype?.toLowerCase();
    if (apptype !== undefined && apptype !== "openpgp" && apptype !== "undefined") {
      throw new NoCardError("not-found", `Cannot select application "${apptype}": not supported`);
    }
    if (apptype === "undefined") return await this.#selectRaw(request);
    const readers = await this.scan(request.signal);
    if (readers.length === 0) throw new NoCardError("no-reader", "Cannot find a card reader");
    const demand = request.demand?.toUpperCase();
    const entry = this.cards.find((c) =>
      c.app !== undefined && (demand === undefined || c.serialNo.toUpperCase() === demand)
    );
    if (entry) {
      this.#touch(entry);
      return entry;
    }
    const cause = { cause: this.#scanError }; // why the first reader's card could not be used
    if (demand) throw new NoCardError("not-found", `Cannot find card ${request.demand}`, cause);
    throw new NoCardError("no-card", "Cannot find a usable card", cause);
  }

  /** The current card without a scan (stock `open_card`): the MRU head, else a select. */
  async current(signal?: AbortSignal): Promise<CardEntry> {
    const head = this.#watching ? this.cards.find((c) => c.app !== undefined) : undefined;
    return head ?? await this.select(signal ? { signal } : {});
  }

  /** The known card with this serial (case-insensitive), if any. */
  bySerial(serialNo: string): CardEntry | undefined {
    const want = serialNo.toUpperCase();
    return this.cards.find((c) => c.serialNo.toUpperCase() === want);
  }

  /** `SERIALNO undefined`: the first reader whose card answers, without an application. */
  async #selectRaw(request: SelectRequest): Promise<CardEntry> {
    const readers = await this.readers(request.signal);
    if (readers.length === 0) throw new NoCardError("no-reader", "Cannot find a card reader");
    let firstError: unknown;
    for (const [slot, reader] of readers.entries()) {
      let entry: CardEntry;
      try {
        entry = await this.#entryFor(reader, "undefined", slot, request.signal);
      } catch (e) {
        request.signal?.throwIfAborted();
        firstError ??= e;
        continue;
      }
      if (request.demand && entry.serialNo.toUpperCase() !== request.demand.toUpperCase()) {
        continue;
      }
      this.#touch(entry);
      return entry;
    }
    const reason = request.demand ? "not-found" : "no-card";
    throw new NoCardError(reason, "Cannot find a usable card", { cause: firstError });
  }

  /** Whether `entry` is still the card in its reader (not removed or swapped since). */
  isCurrent(entry: CardEntry): boolean {
    return this.#cards.get(entry.reader)?.id === entry.id;
  }

  /** Forget the card in `reader` (RESET: the next use opens it afresh). */
  forget(reader: string): void {
    const entry = this.#cards.get(reader);
    if (!entry) return;
    entry.app?.invalidate();
    void entry.app?.release?.().catch(() => {});
    this.#cards.delete(reader);
  }

  /** One card operation on `entry`'s reader (raw APDUs; apps run their own). */
  async withCard<T>(
    entry: CardEntry,
    fn: CardOperation<T>,
    options?: CardOperationOptions,
  ): Promise<T> {
    // a burst hold of the application would make this transaction wait for it to run out
    await this.#releaseHold(entry.reader);
    return await this.backend.withCard(entry.reader, fn, options);
  }

  async #releaseHold(reader: string): Promise<void> {
    await this.#cards.get(reader)?.app?.release?.().catch(() => {});
  }

  // --- LOCK / UNLOCK (one owner per process, like stock's `locked_session`) ---

  /** Take the lock for `owner`; false when another owner holds it. Re-locking is fine. */
  lock(owner: object): boolean {
    if (this.#lockOwner !== undefined && this.#lockOwner !== owner) return false;
    this.#lockOwner = owner;
    return true;
  }

  /** Release `owner`'s lock: "unlocked", "not-locked" or "locked-by-other". */
  unlock(owner: object): "unlocked" | "not-locked" | "locked-by-other" {
    if (this.#lockOwner === undefined) return "not-locked";
    if (this.#lockOwner !== owner) return "locked-by-other";
    this.#lockOwner = undefined;
    return "unlocked";
  }

  /** True when someone other than `owner` holds the lock (stock `IS_LOCKED`). */
  lockedByOther(owner: object): boolean {
    return this.#lockOwner !== undefined && this.#lockOwner !== owner;
  }

  /** True when `owner` holds the lock. */
  holdsLock(owner: object): boolean {
    return this.#lockOwner === owner;
  }

  // --- events ---

  /** Called after the registry applied a change; returns an unsubscribe function. */
  onChange(listener: (change: CardChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Start the backend's monitor. When it cannot start (no libpcsclite, no permission) the
   * registry works without a cache and this returns false.
   */
  async watch(): Promise<boolean> {
    if (this.#watch) return true;
    try {
      this.#watch = await this.backend.watch((event) => {
        if (event.type === "card-inserted") this.#changed("inserted", event.reader);
        else if (event.type !== "reader-added") this.#changed("removed", event.reader);
      }, {
        onError: (error) => log.warning("Reader monitor: {error}", { error }),
      });
      this.#watching = true;
      return true;
    } catch (e) {
      log.warning("Cannot watch readers; card changes are found on use only: {error}", {
        error: e,
      });
      return false;
    }
  }

  /** Stop the monitor. */
  async close(): Promise<void> {
    const w = this.#watch;
    this.#watch = undefined;
    this.#watching = false;
    await w?.[Symbol.asyncDispose]();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Whether `reader` passes the `readerPort` filter (events of other readers are ignored). */
  #wanted(reader: string): boolean {
    const port = this.#readerPort;
    return !port || /^\d+$/.test(port) || reader === port || reader.includes(port);
  }

  /** Apply a monitor event: drop what was in the reader, then tell the listeners. */
  #changed(type: CardChange["type"], reader: string): void {
    if (!this.#wanted(reader)) return;
    const dropped = this.#cards.get(reader);
    if (dropped) {
      dropped.app?.invalidate();
      void dropped.app?.release?.().catch(() => {});
      this.#cards.delete(reader);
    }
    log.info("Card {type} in {reader}", { type, reader });
    this.#announce({ type, reader, dropped });
  }

  #announce(change: CardChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (e) {
        log.error("Card change listener failed: {error}", { error: e });
      }
    }
  }

  async #entryFor(
    reader: string,
    apptype: string | undefined,
    slot: number,
    signal: AbortSignal | undefined,
  ): Promise<CardEntry> {
    const known = this.#cards.get(reader);
    // Without a monitor nobody tells us about a swap, so an entry is only good for one select.
    if (known && this.#watching && (known.app !== undefined || apptype === "undefined")) {
      return known;
    }
    if (apptype === "undefined") {
      // Only check that a card answers; keep a known application's serial (stock keeps the card).
      await this.#releaseHold(reader);
      await this.backend.withCard(reader, () => Promise.resolve(), signal ? { signal } : {});
      const entry = known && this.#watching
        ? known
        : { id: this.#nextId++, reader, app: undefined, serialNo: NO_SERIAL, slot };
      this.#cards.set(reader, entry);
      return entry;
    }
    known?.app?.invalidate();
    const app = await this.#openApp({ backend: this.backend, reader, signal });
    const entry: CardEntry = { id: this.#nextId++, reader, app, serialNo: app.serialNo, slot };
    this.#cards.set(reader, entry);
    return entry;
  }

  /** Move `entry` to the front of the MRU order. */
  #touch(entry: CardEntry): void {
    this.#cards.delete(entry.reader);
    this.#cards.set(entry.reader, entry);
  }
}

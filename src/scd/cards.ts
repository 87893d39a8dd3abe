/**
 * The process-wide card registry: which readers have which card application, in most recently
 * used order (stock: the `card_top` list in gpg/gnupg:scd/app.c), kept current by reader
 * states and events.
 *
 * Invariant: **the registry holds no PC/SC handle.** A {@linkcode CardEntry} is a reader name
 * plus the card application opened on it; every card operation goes through the backend's
 * `withCard` (one transaction, the app re-SELECTs itself).
 *
 * Reader states decide what a scan does (reader_plan.ts): an empty or mute reader is never
 * connected to, a card is opened once per insertion, a card without an OpenPGP application is
 * remembered as such until its reader changes. With the monitor running the states come from
 * it, so SERIALNO costs no PC/SC call when nothing changed; without one (it could not start,
 * or pcscd restarted and it is re-reading) one status call with timeout 0 replaces them.
 *
 * A removal or a swap drops the entry (and with it the PIN cache entries keyed by it). A pcscd
 * restart does not: the card was powered down, not necessarily removed. Its entry is kept,
 * matched by ATR, and the next scan opens the card again and keeps the entry only when the
 * application proves it is the same card (AID, ATR, key fingerprints); docs/reliability.md F5a.
 *
 * `monitor-idle` (docs/reliability.md F5b): after that long without a command the monitor is
 * stopped, so its PC/SC context no longer keeps a `--auto-exit` pcscd running. The time it is
 * released counts as a pcscd restart (pcscd may have exited and come back: event counters
 * start again), so the cards are matched by ATR only. The next command starts the monitor
 * again — its first read, one status call, is the re-sync — and the next scan confirms each
 * card by its identity. No card event is delivered while released: a card gone or changed
 * meanwhile is announced when the monitor is back.
 *
 * Several cards follow stock 2.4's `select_application`: a scan looks at every reader (pcscd's
 * order, filtered by the reader setting like `--reader-port`); each newly found card goes to
 * the front of the MRU list, so after a scan of an empty registry the card in the last reader
 * is the current one, as with stock. `--demand` picks a card by serial; no card is ENODEV.
 * @module
 */

import type { CardApplication } from "../app/mod.ts";
import { getLog } from "../log.ts";
import type {
  CardOperation,
  CardOperationOptions,
  CardReaderBackend,
  ReaderEvent,
  ReaderState,
} from "../pcsc/mod.ts";
import { CardBusyError, findPcscError, matchReaders } from "../pcsc/mod.ts";
import { equalBytes } from "../util/bytes.ts";
import { type Insertion, insertionOf, planScan, type ScanStep } from "./reader_plan.ts";
import { MonitorLease } from "./monitor_lease.ts";
import { SessionLock } from "./session_lock.ts";

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

/** Options for {@linkcode CardRegistry}. */
export interface CardRegistryOptions {
  /** Opens the card application (OpenPGP) on a reader. */
  openApp: AppOpener;
  /** Which reader(s), like `--reader-port` (pcsc/reader_match.ts). */
  readerPort?: string | undefined;
  /** `monitor-idle`: stop the monitor after this many ms without a command; 0 = never. */
  monitorIdleMs?: number | undefined;
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

interface Known {
  entry: CardEntry;
  insertion: Insertion;
}

/** The card registry; one per process. */
export class CardRegistry implements AsyncDisposable {
  /** Where cards live (PC/SC or in-process). */
  readonly backend: CardReaderBackend;
  /** The Assuan LOCK (one owner per process). */
  readonly sessionLock = new SessionLock();
  #openApp: AppOpener;
  #readerPort: string | undefined;
  /** Known cards by reader, least recently used first. */
  #cards = new Map<string, Known>();
  /** Insertions found without an OpenPGP application, by reader. */
  #noApp = new Map<string, Insertion>();
  #nextId = 1;
  #listeners = new Set<(change: CardChange) => void>();
  #monitor: MonitorLease;
  #scanError: unknown;

  constructor(backend: CardReaderBackend, options: CardRegistryOptions) {
    this.backend = backend;
    this.#openApp = options.openApp;
    this.#readerPort = options.readerPort;
    this.#monitor = new MonitorLease(backend, options.monitorIdleMs ?? 0, {
      onEvent: (event) => this.#onEvent(event),
      onRelease: () => this.#matchByAtr(),
      // a card gone or changed while released is dropped and announced now
      onResume: (states) => states && this.#dropChanged(states),
    });
  }

  /** True while the monitor runs. */
  get watching(): boolean {
    return this.#monitor.watching;
  }

  /** Known cards, most recently selected first (stock keeps `card_top` in that order). */
  get cards(): CardEntry[] {
    return [...this.#cards.values()].map((k) => k.entry).reverse();
  }

  /** Reader names after the reader setting; `[]` when none. */
  async readers(signal?: AbortSignal): Promise<string[]> {
    return (await this.#states(signal)).map((s) => s.reader);
  }

  /** The wanted readers' states: the monitor's, else one status call. */
  async #states(signal: AbortSignal | undefined): Promise<ReaderState[]> {
    await this.#monitor.resume();
    const all = this.#monitor.states() ?? await this.backend.readerStates(signal ? { signal } : {});
    const wanted = new Set(matchReaders(all.map((s) => s.reader), this.#readerPort));
    return all.filter((s) => wanted.has(s.reader));
  }

  /**
   * Bring the registry up to the readers' states (stock's device scan in `select_application`):
   * open the cards of new insertions, confirm cards after a pcscd restart, drop cards that are
   * gone. Each new card goes to the front of the MRU order and is announced as "new".
   */
  async scan(signal?: AbortSignal): Promise<string[]> {
    const states = await this.#states(signal);
    const readers = states.map((s) => s.reader);
    for (const reader of [...this.#cards.keys()]) {
      if (!readers.includes(reader)) this.#drop(reader); // the reader was unplugged
    }
    const known = new Map([...this.#cards].map(([reader, k]) => [reader, k.insertion]));
    this.#scanError = undefined;
    for (const step of planScan(states, known, this.#noApp)) {
      const state = states[step.slot]!;
      try {
        await this.#apply(step, state, signal);
      } catch (e) {
        signal?.throwIfAborted();
        log.debug("No usable card in {reader}: {error}", { reader: step.reader, error: e });
        // the card answered (no OpenPGP application): not again until its reader changes
        if (answered(e)) this.#noApp.set(step.reader, insertionOf(state));
        this.#scanError ??= e;
      }
    }
    return readers;
  }

  async #apply(step: ScanStep, state: ReaderState, signal: AbortSignal | undefined) {
    switch (step.action) {
      case "keep":
        return;
      case "drop":
        return this.#drop(step.reader);
      case "skip":
        if (step.why === "empty") return; // the everyday case: nothing to say
        log.debug("Passing over {reader}: {why}", { reader: step.reader, why: step.why });
        this.#scanError ??= new Error(`The card in ${step.reader} is ${step.why}`);
        return;
      case "open":
      case "confirm": {
        const before = this.#cards.get(step.reader);
        const app = await this.#open(step.reader, signal);
        if (step.action === "confirm" && before && sameCard(before.entry.app, app)) {
          log.info("Card in {reader} is the same one after pcscd or the monitor was away", step);
          before.entry.app?.invalidate(); // same card, but anything may have changed meanwhile
          void app.release?.().catch(() => {});
          this.#cards.set(step.reader, { entry: before.entry, insertion: insertionOf(state) });
          return;
        }
        if (before) this.#drop(step.reader);
        const entry = this.#add(step.reader, app, step.slot, insertionOf(state));
        this.#announce({ type: "new", reader: step.reader });
        return entry;
      }
    }
  }

  async #open(reader: string, signal: AbortSignal | undefined): Promise<CardApplication> {
    await this.#releaseHold(reader);
    return await this.#openApp({ backend: this.backend, reader, signal });
  }

  #add(reader: string, app: CardApplication | undefined, slot: number, insertion: Insertion) {
    const serialNo = app?.serialNo ?? NO_SERIAL;
    const entry: CardEntry = { id: this.#nextId++, reader, app, serialNo, slot };
    this.#noApp.delete(reader);
    this.#cards.delete(reader);
    this.#cards.set(reader, { entry, insertion });
    return entry;
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
    const head = this.watching ? this.cards.find((c) => c.app !== undefined) : undefined;
    return head ?? await this.select(signal ? { signal } : {});
  }

  /** The known card with this serial (case-insensitive), if any. */
  bySerial(serialNo: string): CardEntry | undefined {
    const want = serialNo.toUpperCase();
    return this.cards.find((c) => c.serialNo.toUpperCase() === want);
  }

  /** `SERIALNO undefined`: the first reader whose card answers, without an application. */
  async #selectRaw(request: SelectRequest): Promise<CardEntry> {
    const states = await this.#states(request.signal);
    if (states.length === 0) throw new NoCardError("no-reader", "Cannot find a card reader");
    let firstError: unknown;
    for (const [slot, state] of states.entries()) {
      if (state.card !== "present") continue;
      const known = this.#cards.get(state.reader);
      let entry = known?.entry;
      if (!known || known.insertion.counter !== state.counter) {
        try {
          // only check that a card answers; a known application's entry stays (stock keeps it)
          await this.#releaseHold(state.reader);
          const options = request.signal ? { signal: request.signal } : {};
          await this.backend.withCard(state.reader, () => Promise.resolve(), options);
        } catch (e) {
          request.signal?.throwIfAborted();
          firstError ??= e;
          continue;
        }
        if (known) this.#drop(state.reader);
        entry = this.#add(state.reader, undefined, slot, insertionOf(state));
      }
      if (request.demand && entry!.serialNo.toUpperCase() !== request.demand.toUpperCase()) {
        continue;
      }
      this.#touch(entry!);
      return entry!;
    }
    const reason = request.demand ? "not-found" : "no-card";
    throw new NoCardError(reason, "Cannot find a usable card", { cause: firstError });
  }

  /** Whether `entry` is still the card in its reader (not removed or swapped since). */
  isCurrent(entry: CardEntry): boolean {
    return this.#cards.get(entry.reader)?.entry.id === entry.id;
  }

  /** Forget the card in `reader` (RESET: the next use opens it afresh). */
  forget(reader: string): void {
    const known = this.#cards.get(reader);
    if (!known) return;
    known.entry.app?.invalidate();
    void known.entry.app?.release?.().catch(() => {});
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
    await this.#cards.get(reader)?.entry.app?.release?.().catch(() => {});
  }

  // --- events ---

  /** Called after the registry applied a change; returns an unsubscribe function. */
  onChange(listener: (change: CardChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Start the backend's monitor. When it cannot start (no libpcsclite, no permission) the
   * registry reads reader states on each scan instead and this returns false.
   */
  async watch(): Promise<boolean> {
    return await this.#monitor.start();
  }

  /**
   * Marks one command from start to end (`using _ = cards.inUse()`): `monitor-idle` counts
   * quiet time from the end of the last one, and a command that finds the monitor released
   * starts it again.
   */
  inUse(): Disposable {
    return this.#monitor.use();
  }

  /** True while the monitor is stopped after a quiet period (`monitor-idle`). */
  get released(): boolean {
    return this.#monitor.released;
  }

  /** Stop the monitor. */
  async close(): Promise<void> {
    await this.#monitor.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #onEvent(event: ReaderEvent): void {
    switch (event.type) {
      case "card-inserted":
        return this.#changed("inserted", event.reader);
      case "card-removed":
      case "reader-removed":
        return this.#changed("removed", event.reader);
      case "service-lost":
        return this.#serviceLost();
      case "service-restored":
        return this.#serviceRestored();
    }
  }

  /** pcscd went away: keep the cards, but only their ATR identifies them from now on. */
  #serviceLost(): void {
    log.info("pcscd went away; cards are kept until they prove to be the same ones");
    this.#matchByAtr();
  }

  /** From now on only their ATR identifies the known cards (event counters may start again). */
  #matchByAtr(): void {
    for (const [reader, k] of this.#cards) {
      this.#cards.set(reader, {
        entry: k.entry,
        insertion: { atr: k.insertion.atr, counter: undefined },
      });
    }
    this.#noApp.clear();
  }

  /** pcscd is back: drop the cards whose reader has none, or another ATR, now. */
  #serviceRestored(): void {
    this.#dropChanged(this.#monitor.states() ?? []);
  }

  /** Drop the cards whose reader has none, or another ATR, in `all`. */
  #dropChanged(all: readonly ReaderState[]): void {
    const states = new Map(all.map((s) => [s.reader, s]));
    for (const [reader, k] of [...this.#cards]) {
      const now = states.get(reader);
      if (now?.card === "present" && equalBytes(now.atr, k.insertion.atr)) continue;
      this.#changed("removed", reader);
    }
  }

  /** Whether `reader` passes the reader setting (events of other readers are ignored). */
  #wanted(reader: string): boolean {
    if (this.#cards.has(reader) || !this.#readerPort) return true;
    const all = this.#monitor.states()?.map((s) => s.reader) ?? [];
    return matchReaders(all, this.#readerPort).includes(reader);
  }

  /** Apply a monitor event: drop what was in the reader, then tell the listeners. */
  #changed(type: CardChange["type"], reader: string): void {
    if (!this.#wanted(reader)) return;
    this.#noApp.delete(reader);
    const dropped = this.#cards.get(reader)?.entry;
    if (dropped) {
      dropped.app?.retire?.();
      this.forget(reader);
    }
    log.info("Card {type} in {reader}", { type, reader });
    this.#announce({ type, reader, dropped });
  }

  /** A scan found the card gone: the same as a removal event. */
  #drop(reader: string): void {
    this.#changed("removed", reader);
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

  /** Move `entry` to the front of the MRU order. */
  #touch(entry: CardEntry): void {
    const known = this.#cards.get(entry.reader);
    if (known?.entry !== entry) return;
    this.#cards.delete(entry.reader);
    this.#cards.set(entry.reader, known);
  }
}

/** Two applications opened on the same card: both say so with the same identity. */
function sameCard(a: CardApplication | undefined, b: CardApplication): boolean {
  const before = a?.identity?.();
  return before !== undefined && before === b.identity?.();
}

/** The card itself answered the open (e.g. no OpenPGP application), not PC/SC or a wait. */
function answered(e: unknown): boolean {
  return findPcscError(e) === undefined && !(e instanceof CardBusyError) &&
    !(e instanceof DOMException);
}

/**
 * The process-wide card registry: which readers have which card application, in most recently
 * used order (stock: the `card_top` list in gpg/gnupg:scd/app.c). It holds no PC/SC handle:
 * every card operation goes through the backend's `withCard` (one transaction).
 *
 * Reader states decide what a scan does (reader_plan.ts): no connect to an empty or mute
 * reader, a card opened once per insertion, a card without an OpenPGP application remembered
 * until its reader changes. The monitor's states cost no PC/SC call; without a monitor one
 * status call (timeout 0) replaces them. A removal or swap drops the entry (and the PIN cache
 * keyed by it); a pcscd restart keeps it, matched by ATR, until the next scan proves it is the
 * same card (AID, ATR, key fingerprints) or not: docs/reliability.md F5a, docs/card-state.md.
 *
 * `monitor-idle` (docs/reliability.md F5b): after that long without a command the monitor is
 * stopped, so a `--auto-exit` pcscd can exit; the time released counts as a pcscd restart, and
 * the next command starts the monitor again (its first read is the re-sync).
 *
 * Several cards follow stock 2.4's `select_application`: a scan looks at every reader in
 * pcscd's order; each newly found card goes to the front of the MRU list, so after one scan
 * the card in the last reader is current, as with stock. `--demand` picks a card by serial.
 * @module
 */

import { type CardApplication, NoApplicationError } from "../app/mod.ts";
import { getLog } from "../log.ts";
import {
  type CardOperation,
  type CardOperationOptions,
  type CardReaderBackend,
  matchReaders,
  type ReaderEvent,
  type ReaderState,
} from "../pcsc/mod.ts";
import { equalBytes } from "../util/bytes.ts";
import {
  type AppOpener,
  type CardChange,
  type CardEntry,
  type CardRegistryOptions,
  ChangeFeed,
  NoCardError,
  sameCard,
  type SelectRequest,
} from "./card_entry.ts";
import { type Insertion, insertionOf, planScan, sameInsertion } from "./reader_plan.ts";
import type { ScanStep } from "./reader_plan.ts";
import { MonitorLease } from "./monitor_lease.ts";
import { SessionLock } from "./session_lock.ts";

const log = getLog("scd");

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
  #changes = new ChangeFeed();
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

  /** Brings the registry up to the readers' states (stock's device scan); new cards go first. */
  async scan(signal?: AbortSignal): Promise<string[]> {
    const states = await this.#states(signal);
    const readers = states.map((s) => s.reader);
    for (const reader of [...this.#cards.keys()]) {
      if (!readers.includes(reader)) this.#changed("removed", reader); // the reader was unplugged
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
        // the card said it has no OpenPGP application: not again until its reader changes
        if (e instanceof NoApplicationError) this.#noApp.set(step.reader, insertionOf(state));
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
        return this.#changed("removed", step.reader);
      case "skip":
        if (step.why === "empty") return; // the everyday case: nothing to say
        log.debug("Passing over {reader}: {why}", { reader: step.reader, why: step.why });
        this.#scanError ??= new NoCardError("no-card", `The card in ${step.reader}: ${step.why}`);
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
        if (before) this.#changed("removed", step.reader);
        const entry = this.#add(step.reader, app, step.slot, insertionOf(state));
        this.#changes.announce({ type: "new", reader: step.reader });
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
    const find = () =>
      this.cards.find((c) =>
        c.app !== undefined && (demand === undefined || c.serialNo.toUpperCase() === demand)
      );
    let entry = find();
    if (!entry && this.#noApp.size > 0) {
      // nothing usable: ask the cards that said "no OpenPGP application" once more, as stock
      // asks on every SERIALNO (one answer may have been a glitch); with a usable card they
      // cost nothing
      this.#noApp.clear();
      await this.scan(request.signal);
      entry = find();
    }
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
      if (!known || !sameInsertion(known.insertion, state)) {
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
        if (known) this.#changed("removed", state.reader);
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
    return this.#changes.listen(listener);
  }

  /** Starts the monitor; false when it cannot (no libpcsclite): scans read states then. */
  async watch(): Promise<boolean> {
    return await this.#monitor.start();
  }

  /** One command from start to end (`using _ = cards.inUse()`): `monitor-idle` counts the rest. */
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
        // a card matched by ATR only (pcscd came back) whose card arrives after the re-read:
        // not a change yet; the next scan confirms it or not
        if (this.#awaited(event.reader, event.atr)) return;
        return this.#changed("inserted", event.reader);
      case "card-removed":
      case "reader-removed":
        return this.#changed("removed", event.reader);
      case "service-lost": // keep the cards until they prove to be the same ones
        log.info("pcscd went away; cards are kept until the next scan confirms them");
        return this.#matchByAtr();
      case "service-restored": // drop those whose reader now has none, or another ATR
        return this.#dropChanged(this.#monitor.states() ?? []);
    }
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

  /** Drop the cards whose reader has none, or another ATR, in `all`. */
  #dropChanged(all: readonly ReaderState[]): void {
    const states = new Map(all.map((s) => [s.reader, s]));
    for (const [reader, k] of [...this.#cards]) {
      const now = states.get(reader);
      // a reader still empty may get its card back in a moment (vpcd reconnects, USB is
      // enumerated again): the next scan drops it if it stays away
      if (now?.card !== "present" || equalBytes(now.atr, k.insertion.atr)) continue;
      this.#changed("removed", reader);
    }
  }

  /** Known already: awaiting confirmation with this ATR, or opened by a scan before reported. */
  #awaited(reader: string, atr: Uint8Array): boolean {
    const known = this.#cards.get(reader)?.insertion;
    if (known === undefined) return false;
    if (known.counter === undefined) return equalBytes(known.atr, atr);
    const now = this.#monitor.states()?.find((s) => s.reader === reader);
    return now !== undefined && sameInsertion(known, now);
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
    this.#changes.announce({ type, reader, dropped });
  }

  /** Move `entry` to the front of the MRU order. */
  #touch(entry: CardEntry): void {
    const known = this.#cards.get(entry.reader);
    if (known?.entry !== entry) return;
    this.#cards.delete(entry.reader);
    this.#cards.set(entry.reader, known);
  }
}

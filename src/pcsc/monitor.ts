/**
 * Reader and card events from `SCardGetStatusChange`, waiting on a context of its own (a long
 * wait must never sit in front of an APDU: pcsc-lite serializes the calls of one context).
 * Reader additions/removals come from pcsc-lite's `\\?PnP?\Notification` pseudo reader.
 *
 * If pcscd goes away the monitor reports `service-lost` (not a removal per card: whether the
 * card that comes back is the same one is for its application to prove), tells `onError` once,
 * and keeps re-establishing its context until pcscd is back; then it reads every reader once and
 * reports `service-restored`, after which {@linkcode ReaderMonitor.states} is current again.
 * `close()` (or `await using`) stops it with `SCardCancel`; nothing keeps running afterwards.
 *
 * Used for gpg-agent's card event signal (scdaemon-protocol.md §1.6): stock polls every 500 ms
 * (§8.3); this waits instead.
 *
 * @module
 */

import {
  INFINITE,
  PNP_NOTIFICATION_READER,
  SCARD_E_CANCELLED,
  SCARD_E_INVALID_HANDLE,
  SCARD_E_UNKNOWN_READER,
  SCARD_STATE_CHANGED,
  SCARD_STATE_EXCLUSIVE,
  SCARD_STATE_MUTE,
  SCARD_STATE_PRESENT,
  SCARD_STATE_UNAWARE,
} from "../../ffi/mod.ts";
import type { ReaderEvent, ReaderState, ReaderWatch } from "./backend.ts";
import { PcscContext, type PcscOptions, type ReaderStateResult } from "./context.ts";
import { findPcscError, isServiceGone } from "./errors.ts";

/** What the monitor last saw for one reader. */
export interface ReaderSnapshot {
  /** Reader name. */
  readonly reader: string;
  /** A responsive card is in the reader. */
  readonly present: boolean;
  /** Its ATR (empty when absent). */
  readonly atr: Uint8Array;
  /** Raw `dwEventState` (without `SCARD_STATE_CHANGED`). */
  readonly eventState: number;
}

/** Options for {@linkcode ReaderMonitor.start}. */
export interface ReaderMonitorOptions extends PcscOptions {
  /** Receives every change after start (the initial state is in {@linkcode ReaderMonitor.snapshot}). */
  onEvent: (event: ReaderEvent) => void;
  /** Receives failures the monitor recovers from (pcscd gone: once per outage). */
  onError?: (error: unknown) => void;
  /** Pause before re-establishing after an error, default 1000 ms. */
  reconnectDelayMs?: number;
}

function isPresent(eventState: number): boolean {
  return (eventState & SCARD_STATE_PRESENT) !== 0 && (eventState & SCARD_STATE_MUTE) === 0;
}

/**
 * The card events between two observations of one reader: insert, removal, or — when pcsc-lite's
 * event counter (high 16 bits) moved while a card stayed present — a swap (removed + inserted).
 */
export function cardEvents(
  reader: string,
  before: ReaderSnapshot | undefined,
  after: ReaderSnapshot,
): ReaderEvent[] {
  const was = before?.present ?? false;
  if (was && !after.present) return [{ type: "card-removed", reader }];
  if (!was && after.present) return [{ type: "card-inserted", reader, atr: after.atr }];
  if (was && after.present && (before!.eventState >>> 16) !== (after.eventState >>> 16)) {
    return [{ type: "card-removed", reader }, { type: "card-inserted", reader, atr: after.atr }];
  }
  return [];
}

/** The {@linkcode ReaderState} of one `SCardGetStatusChange` answer (or a snapshot of one). */
export function readerStateOf(result: ReaderStateResult): ReaderState {
  const bits = result.eventState;
  const card = (bits & SCARD_STATE_PRESENT) === 0
    ? "none"
    : (bits & SCARD_STATE_MUTE) !== 0
    ? "mute"
    : "present";
  return {
    reader: result.reader,
    card,
    exclusive: (bits & SCARD_STATE_EXCLUSIVE) !== 0,
    atr: card === "none" ? new Uint8Array(0) : result.atr,
    counter: bits >>> 16,
  };
}

function snapshotOf(result: ReaderStateResult): ReaderSnapshot {
  const eventState = (result.eventState & ~SCARD_STATE_CHANGED) >>> 0;
  const present = isPresent(eventState);
  return {
    reader: result.reader,
    present,
    atr: present ? result.atr : new Uint8Array(0),
    eventState,
  };
}

/** Watches readers and cards until closed. */
export class ReaderMonitor implements ReaderWatch {
  #options: ReaderMonitorOptions;
  #readers = new Map<string, ReaderSnapshot>();
  /** pcscd was lost and the readers are not read again yet: nothing is known. */
  #resync = false;
  #pnpState = SCARD_STATE_UNAWARE;
  #ctx: PcscContext | undefined;
  #closing = false;
  #serviceDown = false;
  #pause = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  private constructor(options: ReaderMonitorOptions) {
    this.#options = options;
  }

  /**
   * Takes the initial snapshot (no events for it) and starts waiting. pcscd being down is not
   * an error here: the monitor waits for it. A missing libpcsclite is.
   */
  static async start(options: ReaderMonitorOptions): Promise<ReaderMonitor> {
    const monitor = new ReaderMonitor(options);
    try {
      await monitor.#step(true);
    } catch (e) {
      if (!isServiceGone(e)) {
        await monitor.#ctx?.release().catch(() => {});
        throw e;
      }
      await monitor.#recover(e);
    }
    monitor.#loop = monitor.#run();
    return monitor;
  }

  /** The readers as last seen. */
  snapshot(): ReaderSnapshot[] {
    return [...this.#readers.values()];
  }

  /** Every reader's state as last seen; undefined while pcscd is lost or being re-read. */
  states(): ReaderState[] | undefined {
    return this.#resync ? undefined : [...this.#readers.values()].map(readerStateOf);
  }

  #emit(event: ReaderEvent): void {
    try {
      this.#options.onEvent(event);
    } catch (e) {
      this.#options.onError?.(e);
    }
  }

  #forget(reader: string, emit: boolean): void {
    const known = this.#readers.get(reader);
    this.#readers.delete(reader);
    if (!emit) return;
    if (known?.present) this.#emit({ type: "card-removed", reader });
    this.#emit({ type: "reader-removed", reader });
  }

  async #step(start: boolean): Promise<void> {
    this.#ctx ??= await PcscContext.establish(
      this.#options.library === undefined ? {} : { library: this.#options.library },
    );
    this.#serviceDown = false;
    // the first read after start or after pcscd came back reports no per-card events
    const initial = start || this.#resync;
    const readers = await this.#ctx.listReaders();
    for (const known of [...this.#readers.keys()]) {
      if (!readers.includes(known)) this.#forget(known, !initial);
    }
    for (const r of readers) {
      if (this.#readers.has(r)) continue;
      if (!initial) this.#emit({ type: "reader-added", reader: r });
    }
    if (this.#closing) return;
    const queries = readers.map((reader) => ({
      reader,
      currentState: this.#readers.get(reader)?.eventState ?? SCARD_STATE_UNAWARE,
    }));
    queries.push({ reader: PNP_NOTIFICATION_READER, currentState: this.#pnpState });
    const results = await this.#ctx.getStatusChange(queries, initial ? 0 : INFINITE);
    if (results === undefined) return; // timeout
    for (const result of results) {
      if (result.reader === PNP_NOTIFICATION_READER) {
        this.#pnpState = (result.eventState & ~SCARD_STATE_CHANGED) >>> 0;
        continue;
      }
      const now = snapshotOf(result);
      const events = initial
        ? []
        : cardEvents(result.reader, this.#readers.get(result.reader), now);
      // the state first: a listener may compare an event with it
      this.#readers.set(result.reader, now);
      for (const ev of events) this.#emit(ev);
    }
    if (this.#resync) {
      this.#resync = false;
      this.#emit({ type: "service-restored" });
    }
  }

  async #recover(e: unknown): Promise<void> {
    const ctx = this.#ctx;
    this.#ctx = undefined;
    await ctx?.release().catch(() => {});
    const wasKnown = !this.#resync;
    this.#readers.clear();
    this.#resync = true;
    this.#pnpState = SCARD_STATE_UNAWARE;
    if (wasKnown) this.#emit({ type: "service-lost" });
    if (!this.#serviceDown) this.#options.onError?.(e);
    this.#serviceDown = true;
  }

  async #run(): Promise<void> {
    while (!this.#closing) {
      try {
        await this.#step(false);
      } catch (e) {
        if (this.#closing) break;
        const rv = findPcscError(e)?.rv;
        if (rv === SCARD_E_UNKNOWN_READER || rv === SCARD_E_CANCELLED) continue; // relist
        if (isServiceGone(e) || rv === SCARD_E_INVALID_HANDLE) await this.#recover(e);
        else this.#options.onError?.(e);
        await this.#sleep(this.#options.reconnectDelayMs ?? 1000);
      }
    }
    const ctx = this.#ctx;
    this.#ctx = undefined;
    await ctx?.[Symbol.asyncDispose]();
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#pause.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  /**
   * Stops waiting (`SCardCancel`, repeated until the wait ends: pcsc-lite drops a cancel that
   * arrives before the wait has started) and releases the context. Idempotent.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#pause.abort();
    let finished = false;
    const loop = this.#loop.then(() => (finished = true));
    while (!finished) {
      this.#ctx?.cancel();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([loop, new Promise((r) => (timer = setTimeout(r, 100)))]);
      clearTimeout(timer);
    }
  }

  /** Same as {@linkcode close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

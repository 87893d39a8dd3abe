/**
 * The card registry's reader monitor over the daemon's life: started once, stopped after
 * `monitor-idle` without a command (*released*: its PC/SC context closed, so a `--auto-exit`
 * pcscd can end; docs/reliability.md F5b), started again by the next command. Starting it is
 * the re-sync: its first read is one `SCardGetStatusChange` with timeout 0 over every reader.
 *
 * Events of a monitor that is no longer the current one (being stopped) are dropped.
 * @module
 */

import { getLog } from "../log.ts";
import type { CardReaderBackend, ReaderEvent, ReaderState, ReaderWatch } from "../pcsc/mod.ts";
import { IdleTimer } from "./idle_timer.ts";

const log = getLog("scd");

/** What the lease tells its owner. */
export interface MonitorLeaseHooks {
  /** A reader event of the current monitor. */
  onEvent(event: ReaderEvent): void;
  /** The monitor was stopped after the quiet period; no events until it is back. */
  onRelease(): void;
  /** It runs again after a release; `states` is its first read (undefined while pcscd is down). */
  onResume(states: readonly ReaderState[] | undefined): void;
}

/** Starts, releases and restarts one backend's reader monitor. */
export class MonitorLease {
  #backend: CardReaderBackend;
  #hooks: MonitorLeaseHooks;
  #watch: ReaderWatch | undefined;
  /** Counts starts and stops: events of a monitor that is not the current one are late. */
  #generation = 0;
  #starting: Promise<boolean> | undefined;
  #idle: IdleTimer | undefined;
  #released = false;
  #resuming: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  /** `idleMs` 0: never released. */
  constructor(backend: CardReaderBackend, idleMs: number, hooks: MonitorLeaseHooks) {
    this.#backend = backend;
    this.#hooks = hooks;
    if (idleMs > 0) this.#idle = new IdleTimer(idleMs, () => this.#release());
  }

  /** True while the monitor runs. */
  get watching(): boolean {
    return this.#watch !== undefined;
  }

  /** True while it is stopped after a quiet period. */
  get released(): boolean {
    return this.#released;
  }

  /** The running monitor's reader states (undefined when none runs or it is re-reading). */
  states(): ReaderState[] | undefined {
    return this.#watch?.states();
  }

  /** Start the monitor; false when it cannot (no libpcsclite, no permission). */
  async start(): Promise<boolean> {
    if (this.#watch) return true;
    this.#starting ??= this.#start().finally(() => (this.#starting = undefined));
    return await this.#starting;
  }

  async #start(): Promise<boolean> {
    const generation = ++this.#generation;
    try {
      const watch = await this.#backend.watch((event) => {
        if (generation === this.#generation) this.#hooks.onEvent(event);
      }, { onError: (error) => log.warning("Reader monitor: {error}", { error }) });
      if (generation !== this.#generation) { // closed while it started
        await watch[Symbol.asyncDispose]();
        return false;
      }
      this.#watch = watch;
      this.#idle?.arm();
      return true;
    } catch (e) {
      log.warning("Cannot watch readers; reader states are read on use: {error}", { error: e });
      return false;
    }
  }

  /** One command from start to end; one that finds the monitor released starts it again. */
  use(): Disposable {
    const use = this.#idle?.use();
    void this.resume();
    return use ?? { [Symbol.dispose]() {} };
  }

  /** After a release: start the monitor again (settles at once otherwise). */
  resume(): Promise<void> {
    if (this.#released) {
      this.#released = false;
      log.info("Reader monitor starting again");
      this.#resuming = this.start()
        .then((ok) => this.#hooks.onResume(ok ? this.#watch?.states() : undefined))
        .finally(() => (this.#resuming = undefined));
    }
    return this.#resuming ?? Promise.resolve();
  }

  /** The quiet period is over: closing the monitor's context is the only PC/SC call. */
  #release(): void {
    const watch = this.#watch;
    if (!watch) return;
    this.#watch = undefined;
    this.#generation++;
    this.#released = true;
    log.info("No command for {ms} ms: reader monitor stopped until the next one", {
      ms: this.#idle?.ms,
    });
    this.#hooks.onRelease();
    this.#stopping = Promise.resolve(watch[Symbol.asyncDispose]())
      .catch((error: unknown) => log.warning("Cannot stop the reader monitor: {error}", { error }))
      .finally(() => (this.#stopping = undefined));
  }

  /** Stop for good. */
  async close(): Promise<void> {
    this.#idle?.close();
    this.#released = false;
    this.#generation++;
    await this.#resuming?.catch(() => {});
    await this.#starting?.catch(() => {});
    const w = this.#watch;
    this.#watch = undefined;
    await w?.[Symbol.asyncDispose]();
    await this.#stopping;
  }
}

/**
 * The PC/SC implementation of {@linkcode CardReaderBackend}: `withCard` with a fresh context
 * per operation, `listReaders` on a short-lived context, `watch` with a {@linkcode ReaderMonitor}.
 * Holds no PC/SC context or handle between calls, unless given a `HandlePool`
 * (`pool-ttl`), which keeps one shared handle per reader for a while.
 *
 * @module
 */

import { SCARD_STATE_UNAWARE } from "../../ffi/mod.ts";
import type {
  CardOperation,
  CardOperationOptions,
  CardReaderBackend,
  ReaderEvent,
  ReaderState,
  ReaderWatch,
  WatchOptions,
} from "./backend.ts";
import { PcscContext, type PcscOptions } from "./context.ts";
import { ReaderMonitor, readerStateOf } from "./monitor.ts";
import { withCard, type WithCardOptions } from "./with_card.ts";

/** Defaults applied to every operation of a {@linkcode PcscBackend}. */
export type PcscBackendOptions = Omit<WithCardOptions, "signal" | "retry"> & PcscOptions;

/** Cards through pcscd. */
export class PcscBackend implements CardReaderBackend {
  /** Always `"pcsc"`. */
  readonly kind = "pcsc";
  #defaults: PcscBackendOptions;

  /** `options` become the defaults of every operation. */
  constructor(options: PcscBackendOptions = {}) {
    this.#defaults = options;
  }

  /** Reader names from a short-lived context; `[]` when none. */
  async listReaders(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    options.signal?.throwIfAborted();
    await using ctx = await PcscContext.establish(this.#libraryOption());
    return await ctx.listReaders();
  }

  /**
   * Every reader's state from one `SCardGetStatusChange` with timeout 0 (what replaces blind
   * connects when no monitor runs); `[]` when there is no reader.
   */
  async readerStates(options: { signal?: AbortSignal } = {}): Promise<ReaderState[]> {
    options.signal?.throwIfAborted();
    await using ctx = await PcscContext.establish(this.#libraryOption());
    const readers = await ctx.listReaders();
    if (readers.length === 0) return [];
    const queries = readers.map((reader) => ({ reader, currentState: SCARD_STATE_UNAWARE }));
    const results = await ctx.getStatusChange(queries, 0);
    return (results ?? []).map(readerStateOf);
  }

  /** {@linkcode withCard} with this backend's defaults. */
  withCard<T>(
    reader: string,
    fn: CardOperation<T>,
    options: CardOperationOptions = {},
  ): Promise<T> {
    return withCard(reader, fn, { ...this.#defaults, ...options });
  }

  /** Starts a {@linkcode ReaderMonitor}; dispose the result to stop it. */
  async watch(
    onEvent: (event: ReaderEvent) => void,
    options: WatchOptions = {},
  ): Promise<ReaderWatch> {
    return await ReaderMonitor.start({
      onEvent,
      ...(options.onError === undefined ? {} : { onError: options.onError }),
      ...this.#libraryOption(),
    });
  }

  #libraryOption(): PcscOptions {
    return this.#defaults.library === undefined ? {} : { library: this.#defaults.library };
  }
}

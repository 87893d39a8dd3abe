/**
 * The reader-backend contract: what the command layer needs from "a place where cards live".
 * PC/SC ({@linkcode PcscBackend} in `pcsc_backend.ts`) and the in-process virtual card
 * (`virtual_backend.ts`) implement it, so `src/scd` never knows which one it talks to.
 *
 * Invariant for every implementation: `withCard` gives `fn` the card to itself for the duration
 * of the call (a PC/SC transaction, or a lock for the virtual card), and nothing is held after
 * it returns.
 *
 * @module
 */

import type { CardChannel } from "./channel.ts";

/** The attempt an operation runs in; lets the operation forbid a retry. */
export interface CardAttempt {
  /** 1 for the first try, 2 for the one retry. */
  readonly number: number;
  /** True once {@linkcode commit} was called (by `fn` or by the PIN guard on the channel). */
  readonly committed: boolean;
  /** Why the attempt was committed, for logs. */
  readonly commitReason: string | undefined;
  /**
   * Marks the operation as not repeatable from here on: if the card or pcscd goes away later in
   * this attempt, the error is thrown instead of retried. Call it before sending anything the
   * card counts or remembers (a PIN, a key generation). Idempotent.
   */
  commit(reason: string): void;
}

/** The plain {@linkcode CardAttempt} every backend hands to its operations. */
export class OperationAttempt implements CardAttempt {
  /** 1 for the first try, 2 for the retry. */
  readonly number: number;
  #reason: string | undefined;
  /** A fresh, uncommitted attempt number `number`. */
  constructor(number: number) {
    this.number = number;
  }
  /** True once committed. */
  get committed(): boolean {
    return this.#reason !== undefined;
  }
  /** The first commit reason. */
  get commitReason(): string | undefined {
    return this.#reason;
  }
  /** Marks the attempt not repeatable; the first reason wins. */
  commit(reason: string): void {
    this.#reason ??= reason;
  }
}

/** The body of one card operation. */
export type CardOperation<T> = (channel: CardChannel, attempt: CardAttempt) => Promise<T>;

/** Options every backend accepts for {@linkcode CardReaderBackend.withCard}. */
export interface CardOperationOptions {
  /** Aborts between PC/SC steps and APDUs (an APDU in flight is awaited, not cut off). */
  signal?: AbortSignal;
  /** Allow the one retry on card-gone/service-gone errors (default true). */
  retry?: boolean;
}

/**
 * A reader or card change, as the monitor reports it. `service-lost` says pcscd went away:
 * nothing is known about any reader until `service-restored`, after which
 * {@linkcode ReaderWatch.states} is current again. Neither is a card event: a pcscd restart
 * powers cards down, but whether the card that comes back is the same one is for its
 * application to prove (docs/reliability.md, F5a).
 */
export type ReaderEvent =
  | { readonly type: "reader-added"; readonly reader: string }
  | { readonly type: "reader-removed"; readonly reader: string }
  | { readonly type: "card-inserted"; readonly reader: string; readonly atr: Uint8Array }
  | { readonly type: "card-removed"; readonly reader: string }
  | { readonly type: "service-lost" }
  | { readonly type: "service-restored" };

/** What a reader reports about its slot (PC/SC: one `SCardGetStatusChange` entry). */
export interface ReaderState {
  readonly reader: string;
  /** `none` (EMPTY), `present` (a card that answered its reset), `mute` (one that did not). */
  readonly card: "none" | "present" | "mute";
  /** Another program holds the card with an exclusive connect (SCARD_STATE_EXCLUSIVE). */
  readonly exclusive: boolean;
  /** The card's ATR (empty without a card). */
  readonly atr: Uint8Array;
  /**
   * pcsc-lite's per-reader event counter (the high word of `dwEventState`): it moves on every
   * insertion and removal, so an unchanged counter and ATR mean the same insertion.
   */
  readonly counter: number;
}

/** A running watch: dispose it to stop. */
export interface ReaderWatch extends AsyncDisposable {
  /** The readers as last seen; undefined while the service is lost or being re-read. */
  states(): ReaderState[] | undefined;
}

/** Options for {@linkcode CardReaderBackend.watch}. */
export interface WatchOptions {
  /** Called for failures the watcher recovers from by itself (e.g. pcscd restarting). */
  onError?: (error: unknown) => void;
}

/** Where cards live: list readers, run one operation on a card, watch for changes. */
export interface CardReaderBackend {
  /** `"pcsc"` or `"virtual"`, for logs and GETINFO. */
  readonly kind: string;
  /** Reader names, `[]` when none. */
  listReaders(options?: { signal?: AbortSignal }): Promise<string[]>;
  /** Runs `fn` with exclusive use of the card in `reader` (see the module invariant). */
  withCard<T>(reader: string, fn: CardOperation<T>, options?: CardOperationOptions): Promise<T>;
  /** The state of every reader now, without waiting (PC/SC: one status call, timeout 0). */
  readerStates(options?: { signal?: AbortSignal }): Promise<ReaderState[]>;
  /** Reports reader/card changes to `onEvent` until the returned handle is disposed. */
  watch(onEvent: (event: ReaderEvent) => void, options?: WatchOptions): Promise<ReaderWatch>;
}

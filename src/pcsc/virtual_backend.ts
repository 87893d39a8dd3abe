/**
 * A {@linkcode CardReaderBackend} over any in-process card object that has an ATR and answers
 * APDUs, e.g. the virtual OpenPGP card (`SCD_TS_READER=virtual:…`, scd/assemble.ts). It is
 * structural on purpose: this folder must not import `src/virtual`.
 *
 * Operations are serialized the way PC/SC transactions serialize them, so interleaving behaves
 * like a real reader. There is nothing to recover from, so nothing is ever retried.
 *
 * @module
 */

import {
  type CardOperation,
  type CardOperationOptions,
  type CardReaderBackend,
  OperationAttempt,
  type ReaderEvent,
  type ReaderState,
  type ReaderWatch,
} from "./backend.ts";
import type { CardChannel } from "./channel.ts";

/** The reader name used when the card object has none. */
export const VIRTUAL_READER_NAME = "Virtual OpenPGP Card (in-process)";

/** What the virtual backend needs from a card. */
export interface InProcessCard {
  /** The card's ATR. */
  readonly atr: Uint8Array;
  /** Raw command APDU in, raw response (data ‖ SW1 SW2) out. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Optional reader name (a `CardChannel` has one). */
  readonly reader?: string;
  /** Warm reset (selection and security status cleared), for `resetOnEnd`; optional. */
  reset?(): void;
}

/** One in-process card behind one reader name. */
export class VirtualBackend implements CardReaderBackend {
  /** Always `"virtual"`. */
  readonly kind = "virtual";
  /** The single reader's name. */
  readonly reader: string;
  #card: InProcessCard;
  #tail: Promise<unknown> = Promise.resolve();

  /** Wraps `card`; the reader name is `options.reader`, the card's own, or the default. */
  constructor(card: InProcessCard, options: { reader?: string } = {}) {
    this.#card = card;
    this.reader = options.reader ?? card.reader ?? VIRTUAL_READER_NAME;
  }

  /** The one reader. */
  listReaders(options: { signal?: AbortSignal } = {}): Promise<string[]> {
    options.signal?.throwIfAborted();
    return Promise.resolve([this.reader]);
  }

  /** Runs `fn` alone on the card (queued behind earlier operations). */
  withCard<T>(
    reader: string,
    fn: CardOperation<T>,
    options: CardOperationOptions = {},
  ): Promise<T> {
    const run = this.#tail.then(() => this.#run(reader, fn, options));
    this.#tail = run.catch(() => {});
    return run;
  }

  async #run<T>(reader: string, fn: CardOperation<T>, options: CardOperationOptions): Promise<T> {
    const { signal } = options;
    signal?.throwIfAborted();
    if (reader !== this.reader) {
      throw new Error(
        `Cannot connect to card in "${reader}": no such reader (have "${this.reader}")`,
      );
    }
    let open = true;
    let resetOnEnd = false;
    const card = this.#card;
    const channel: CardChannel = {
      reader: this.reader,
      get atr() {
        return card.atr;
      },
      transmit(apdu: Uint8Array, apduSignal?: AbortSignal): Promise<Uint8Array> {
        (apduSignal ?? signal)?.throwIfAborted();
        if (!open) {
          return Promise.reject(new Error("Cannot transmit APDU: the operation has ended"));
        }
        return card.transmit(apdu);
      },
      ...(card.reset ? { resetOnEnd: () => void (resetOnEnd = true) } : {}),
    };
    try {
      return await fn(channel, new OperationAttempt(1));
    } finally {
      open = false;
      if (resetOnEnd) card.reset?.();
    }
  }

  /** The one reader, always with its card. */
  readerStates(options: { signal?: AbortSignal } = {}): Promise<ReaderState[]> {
    options.signal?.throwIfAborted();
    return Promise.resolve(this.#states());
  }

  #states(): ReaderState[] {
    return [{
      reader: this.reader,
      card: "present",
      exclusive: false,
      atr: this.#card.atr,
      counter: 0,
    }];
  }

  /** Nothing ever changes: the states stay as they are, disposal does nothing. */
  watch(_onEvent: (event: ReaderEvent) => void): Promise<ReaderWatch> {
    return Promise.resolve({
      states: () => this.#states(),
      [Symbol.asyncDispose]: () => Promise.resolve(),
    });
  }
}

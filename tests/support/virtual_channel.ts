/**
 * A CardChannel straight onto a VirtualCard (no pcscd, no vpcd, no transactions), for tests of
 * the OpenPGP application that hand it a channel of their own. The daemon's in-process card
 * (`SCD_TS_READER=virtual:STATEFILE`) is src/pcsc's VirtualBackend instead.
 * @module
 */

import type { CardChannel } from "../../src/pcsc/channel.ts";
import type { VirtualCard } from "../../src/virtual/card.ts";

/** Reader name reported by the in-process channel. */
export const IN_PROCESS_READER = "Virtual OpenPGP Card (in-process)";

/** CardChannel over an in-process virtual card. */
export class VirtualChannel implements CardChannel {
  readonly reader: string;
  #card: VirtualCard;

  constructor(card: VirtualCard, reader: string = IN_PROCESS_READER) {
    this.#card = card;
    this.reader = reader;
  }

  /** The card's ATR. */
  get atr(): Uint8Array {
    return this.#card.atr;
  }

  /** The card behind this channel. */
  get card(): VirtualCard {
    return this.#card;
  }

  /** Send an APDU; an abort rejects the wait (the card still finishes the command). */
  transmit(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    if (!signal) return this.#card.transmit(apdu);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#card.transmit(apdu).then(resolve, reject).finally(() => {
        signal.removeEventListener("abort", onAbort);
      });
    });
  }
}

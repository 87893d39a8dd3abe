/**
 * The card channel contract: the only thing the card-application layer knows about a
 * reader. PC/SC transactions and the in-process virtual card both implement it.
 * @module
 */

/** One open, exclusive-for-this-operation path to a card (e.g. inside a PC/SC transaction). */
export interface CardChannel {
  /** Send one raw command APDU and return the raw response (data ‖ SW1 SW2). */
  transmit(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  /** The card's answer to reset. */
  readonly atr: Uint8Array;
  /** Human-readable reader name, e.g. "Virtual PCD 00 00". */
  readonly reader: string;
}

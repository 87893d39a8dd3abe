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
  /**
   * Ask for the card to be reset when the operation ends (PC/SC: `SCardEndTransaction` with
   * `SCARD_RESET_CARD`): the card loses every security status, so no PIN stays verified.
   * The ending then fails loudly if the reset did not happen. Absent on channels that cannot.
   */
  resetOnEnd?(): void;
}

/**
 * The OpenPGP card application (host side): spec-named APDU builders, data-object
 * parsing, and {@link OpenPgpApplication}, which implements the CardApplication contract
 * with stock scdaemon's output and PIN prompts.
 *
 * Invariant: nothing here keeps a card channel after a call returns, except the burst hold
 * (burst_hold.ts): with `holdMs` set, the transaction stays up to that long after an
 * operation's answer for the next one, bounded by `holdMaxMs` and a count, and ends at once
 * for an operation that must ask a person or on `release()`. Every operation gets its channel
 * from the {@link CardConnector} (one PC/SC transaction), re-SELECTs the application, and
 * leaves behind only the card-state model (card_state.ts), which our writes and
 * `invalidate()` empty and every transaction refreshes.
 * @module
 */

export { OPENPGP_AID } from "./commands.ts";
export * as commands from "./commands.ts";
export { type Aid, displaySerialNo, manufacturerName, parseAid } from "./aid.ts";
export { type ApplicationRelatedData, extcapText, parseArd } from "./ard.ts";
export {
  type AlgorithmAttributes,
  algorithmString,
  type GnupgFlavor,
  keyAttrText,
  parseAlgorithmAttributes,
} from "./algorithm.ts";
export { type DataObjectSpec, DO } from "./data_objects.ts";
export { kdfPin, parseKdfDo } from "./kdf.ts";
export { parsePwStatus, type PwStatus } from "./pw_status.ts";
export { CardState, OpenPgpSession, type OpenPgpSessionOptions } from "./session.ts";
export { isKeygrip, openPgpSlot } from "./key_ref.ts";
export { HOLD_MAX_MS, HOLD_MAX_OPS } from "./burst_hold.ts";
export {
  type CardConnector,
  cardTypeFromAtr,
  OpenPgpApplication,
  type OpenPgpApplicationOptions,
} from "./application.ts";

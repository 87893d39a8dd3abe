/**
 * The OpenPGP card application (host side): spec-named APDU builders, data-object
 * parsing, and {@link OpenPgpApplication}, which implements the CardApplication contract
 * with stock scdaemon's output and PIN prompts.
 *
 * Invariant: nothing here keeps a card channel after a call returns. Every operation gets
 * its channel from the {@link CardConnector} (one PC/SC transaction), re-SELECTs the
 * application, and leaves only the {@link CardState} behind, which every write and every
 * `invalidate()` clears.
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

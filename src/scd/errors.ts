/**
 * Domain errors → gpg-error codes: the only file that knows both vocabularies (style.md §3.8).
 * Lower layers throw what they know (a status word, a PC/SC code, "no card"); the command
 * table wraps every handler with {@linkcode toGpgError}, so handlers never catch.
 *
 * Status words follow stock's `map_sw` (gpg/gnupg:scd/iso7816.c, 2.2.40 and 2.4.7 agree) and
 * PC/SC codes its `pcsc_error_to_sw` (scd/apdu.c) followed by `map_sw`; see
 * scdaemon-protocol.md §2.6 and §7.7.
 * @module
 */

import {
  AccessDeniedError,
  BadResetCodeError,
  BadSecretKeyError,
  BadSignatureError,
  CardAppError,
  CardChangedError,
  CardDataError,
  CardStatusError,
  GeneralError,
  InvalidArgumentError,
  InvalidDataError,
  InvalidIdError,
  InvalidNameError,
  InvalidObjectError,
  InvalidValueError,
  KeyExistsError,
  NoObjectError,
  NoPublicKeyError,
  NoResetCodeError,
  NotFoundError,
  NotSupportedError,
  PinBlockedError,
  PinError,
  PubkeyAlgoError,
  TooLargeError,
  TooShortError,
  UnsupportedAlgorithmError,
  UnsupportedOperationError,
  WrongCardError,
  WrongPubkeyAlgoError,
  WrongSecretKeyError,
} from "../app/mod.ts";
import { GpgError, type GpgErrorName } from "../gpg_error/mod.ts";
import { ApduError, ApduLengthError } from "../iso7816/mod.ts";
import { CardBusyError, findPcscError, PcscLibraryError } from "../pcsc/mod.ts";
import { NoCardError } from "./card_entry.ts";

/** Status words with their own gpg-error code (`map_sw`); any other SW is `CARD`. */
const SW_CODES: ReadonlyMap<number, GpgErrorName> = new Map<number, GpgErrorName>([
  [0x6581, "HARDWARE"], // EEPROM failure
  [0x6285, "OBJ_TERM_STATE"],
  [0x6700, "INV_VALUE"], // wrong length
  [0x6600, "TIMEOUT"], // OpenPGP card: touch (ACK) timeout
  [0x6882, "NOT_SUPPORTED"], // secure messaging
  [0x6884, "NOT_SUPPORTED"], // command chaining
  [0x6981, "CARD"],
  [0x6982, "BAD_PIN"],
  [0x6983, "PIN_BLOCKED"],
  [0x6985, "USE_CONDITIONS"],
  [0x6986, "ENOENT"], // no current EF
  [0x6a80, "INV_VALUE"],
  [0x6a81, "NOT_SUPPORTED"],
  [0x6a82, "ENOENT"],
  [0x6a83, "NOT_FOUND"],
  [0x6a88, "NO_OBJ"],
  [0x6a86, "INV_VALUE"],
  [0x6b00, "INV_VALUE"],
  // map_sw matches SW_EXACT_LENGTH (6C00) exactly; 6Cxx with xx ≠ 0 falls to CARD.
  [0x6c00, "INV_VALUE"],
  [0x6d00, "CARD"],
  [0x6e00, "CARD"],
]);

/** The gpg-error code stock scdaemon reports for a card status word. */
export function gpgCodeForSw(sw: number): GpgErrorName {
  const named = SW_CODES.get(sw);
  if (named) return named;
  if ((sw & 0xfff0) === 0x63c0) return "BAD_PIN";
  return "CARD";
}

/**
 * PC/SC return codes by name → gpg-error (`pcsc_error_to_sw` + `map_sw`). Deviations, all
 * for codes stock folds into GENERAL: a reset or unpowered card says CARD_RESET, a vanished
 * reader ENODEV. A sharing violation (someone holds the card exclusively) is ENODEV, as
 * stock reports it when opening the card (§8.1 [observed]).
 */
const PCSC_CODES: Readonly<Record<string, GpgErrorName>> = {
  SCARD_E_CANCELLED: "CANCELED",
  SCARD_E_NO_MEMORY: "ENOMEM",
  SCARD_E_TIMEOUT: "EIO",
  SCARD_E_NO_SERVICE: "ENODEV",
  SCARD_E_SERVICE_STOPPED: "ENODEV",
  SCARD_E_UNKNOWN_READER: "ENODEV",
  SCARD_E_NO_READERS_AVAILABLE: "ENODEV",
  SCARD_E_READER_UNAVAILABLE: "ENODEV",
  SCARD_E_SHARING_VIOLATION: "ENODEV",
  SCARD_E_NO_SMARTCARD: "CARD_NOT_PRESENT",
  SCARD_W_REMOVED_CARD: "CARD_NOT_PRESENT",
  SCARD_W_RESET_CARD: "CARD_RESET",
  SCARD_W_UNPOWERED_CARD: "CARD_RESET",
  SCARD_E_INVALID_TARGET: "INV_VALUE",
  SCARD_E_INVALID_VALUE: "INV_VALUE",
  SCARD_E_INVALID_HANDLE: "INV_VALUE",
  SCARD_E_INVALID_PARAMETER: "INV_VALUE",
  SCARD_E_INSUFFICIENT_BUFFER: "INV_VALUE",
};

/** Card-application errors → code (the class docs in src/app/errors.ts name the same codes). */
const APP_CODES: ReadonlyArray<readonly [new (...args: never[]) => CardAppError, GpgErrorName]> = [
  [PinBlockedError, "PIN_BLOCKED"],
  [CardChangedError, "CARD_REMOVED"],
  [NotSupportedError, "NOT_SUPPORTED"],
  [UnsupportedOperationError, "UNSUPPORTED_OPERATION"],
  [NoObjectError, "NO_OBJ"],
  [NoPublicKeyError, "NO_PUBKEY"],
  [NotFoundError, "NOT_FOUND"],
  [InvalidIdError, "INV_ID"],
  [WrongCardError, "WRONG_CARD"],
  [WrongSecretKeyError, "WRONG_SECKEY"],
  [InvalidNameError, "INV_NAME"],
  [InvalidValueError, "INV_VALUE"],
  [InvalidDataError, "INV_DATA"],
  [CardDataError, "CARD"],
  [UnsupportedAlgorithmError, "UNSUPPORTED_ALGORITHM"],
  [KeyExistsError, "EEXIST"],
  [BadSecretKeyError, "BAD_SECKEY"],
  [TooLargeError, "TOO_LARGE"],
  [AccessDeniedError, "EACCES"],
  [GeneralError, "GENERAL"],
  // These eight reached clients as GENERAL until tests/fuzz found PASSWD --reset without a
  // reset code answering "General error" (a test in errors_test.ts now covers every class).
  [InvalidObjectError, "INV_OBJ"],
  [TooShortError, "TOO_SHORT"],
  [PubkeyAlgoError, "PUBKEY_ALGO"],
  [WrongPubkeyAlgoError, "WRONG_PUBKEY_ALGO"],
  [InvalidArgumentError, "INV_ARG"],
  [NoResetCodeError, "NO_RESET_CODE"],
  [BadResetCodeError, "BAD_RESET_CODE"],
  [BadSignatureError, "BAD_SIGNATURE"],
];

/** Card-data parse errors of the lower layers (TLV, AID, ARD, …): the card sent garbage. */
function isCardSyntaxError(e: unknown): boolean {
  return e instanceof SyntaxError && e.name.endsWith("SyntaxError") &&
    e.name !== "SyntaxError";
}

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && (e.name === "AbortError" || e.name === "TimeoutError");
}

/**
 * The GpgError a command replies with for `e`. Unknown errors become `GENERAL` with `e` as
 * the cause (logged by the server, never sent to the client).
 */
export function toGpgError(e: unknown): GpgError {
  if (e instanceof GpgError) return e;
  const code = gpgCodeFor(e);
  return new GpgError(code, { cause: e });
}

function gpgCodeFor(e: unknown): GpgErrorName {
  if (e instanceof PinError) return e.reason === "not-synced" ? "PIN_NOT_SYNCED" : "BAD_PIN";
  if (e instanceof CardStatusError || e instanceof ApduError) return gpgCodeForSw(e.sw);
  for (const [type, name] of APP_CODES) if (e instanceof type) return name;
  if (e instanceof NoCardError) return e.reason === "removed" ? "CARD_REMOVED" : "ENODEV";
  if (e instanceof ApduLengthError) return "TOO_LARGE";
  if (e instanceof CardBusyError) return "TIMEOUT";
  if (e instanceof PcscLibraryError) return "ENODEV";
  const pcsc = findPcscError(e);
  if (pcsc) return PCSC_CODES[pcsc.code] ?? "GENERAL";
  if (isAbort(e)) return "CANCELED";
  if (e instanceof GpgError) return e.codeName; // a GpgError wrapped as a cause
  if (isCardSyntaxError(e)) return "CARD";
  return "GENERAL";
}

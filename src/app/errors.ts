/**
 * Domain errors of card applications. They say what went wrong in card terms; only
 * src/scd/errors.ts turns them into gpg-error codes (style.md §3.8). The gpg-error each
 * one corresponds to in stock scdaemon is noted for that mapping.
 * @module
 */

/** Base class of all card-application errors. */
export class CardAppError extends Error {
  override name = "CardAppError";
}

/** Why a PIN was refused. */
export type PinFailure = "wrong" | "too-short" | "not-synced";

/**
 * The card (or a local length check) rejected a PIN. gpg-error: BAD_PIN, or
 * PIN_NOT_SYNCED for `not-synced` (v1 cards' second VERIFY with the same PIN).
 */
export class PinError extends CardAppError {
  override name = "PinError";
  /** Tries left as the card reported (63Cx), if known. */
  readonly triesLeft: number | undefined;
  readonly reason: PinFailure;

  constructor(message: string, options: { triesLeft?: number; reason?: PinFailure } = {}) {
    super(message);
    this.triesLeft = options.triesLeft;
    this.reason = options.reason ?? "wrong";
  }
}

/** The PIN's retry counter is zero (SW 6983). gpg-error: PIN_BLOCKED. */
export class PinBlockedError extends CardAppError {
  override name = "PinBlockedError";
}

/** The card answered an unexpected status word; scd maps it like stock's map_sw. */
export class CardStatusError extends CardAppError {
  override name = "CardStatusError";
  /** SW1 SW2 as one number. */
  readonly sw: number;

  constructor(sw: number, message: string) {
    super(message);
    this.sw = sw;
  }
}

/**
 * The card says it has no such application: its SELECT answered 6A82 ("file or application not
 * found", ISO 7816-4 §5.1.3). A definite answer, unlike a garbled one: the registry remembers it
 * until the card leaves its reader.
 */
export class NoApplicationError extends CardStatusError {
  override name = "NoApplicationError";
}

/** The card or this application lacks the feature. gpg-error: NOT_SUPPORTED. */
export class NotSupportedError extends CardAppError {
  override name = "NotSupportedError";
}

/** The operation makes no sense for this application. gpg-error: UNSUPPORTED_OPERATION. */
export class UnsupportedOperationError extends CardAppError {
  override name = "UnsupportedOperationError";
}

/** The requested object (DO, key) is absent. gpg-error: NO_OBJ. */
export class NoObjectError extends CardAppError {
  override name = "NoObjectError";
}

/** READKEY on an empty key slot. gpg-error: NO_PUBKEY. */
export class NoPublicKeyError extends CardAppError {
  override name = "NoPublicKeyError";
}

/** A key lookup (keygrip) found nothing. gpg-error: NOT_FOUND. */
export class NotFoundError extends CardAppError {
  override name = "NotFoundError";
}

/** Malformed or unknown key reference. gpg-error: INV_ID. */
export class InvalidIdError extends CardAppError {
  override name = "InvalidIdError";
}

/** The key reference names another card (serial mismatch). gpg-error: WRONG_CARD. */
export class WrongCardError extends CardAppError {
  override name = "WrongCardError";
}

/** The fingerprint in the key reference differs from the card's. gpg-error: WRONG_SECKEY. */
export class WrongSecretKeyError extends CardAppError {
  override name = "WrongSecretKeyError";
}

/** Unknown GETATTR/SETATTR name. gpg-error: INV_NAME. */
export class InvalidNameError extends CardAppError {
  override name = "InvalidNameError";
}

/** Bad input value (digest length, data size, attribute value). gpg-error: INV_VALUE. */
export class InvalidValueError extends CardAppError {
  override name = "InvalidValueError";
}

/** Bad data on the card (e.g. KDF-DO of a wrong length). gpg-error: INV_DATA. */
export class InvalidDataError extends CardAppError {
  override name = "InvalidDataError";
}

/** The card returned something that cannot be parsed. gpg-error: CARD. */
export class CardDataError extends CardAppError {
  override name = "CardDataError";
}

/** Digest algorithm the key cannot use. gpg-error: UNSUPPORTED_ALGORITHM. */
export class UnsupportedAlgorithmError extends CardAppError {
  override name = "UnsupportedAlgorithmError";
}

/** A key exists and `--force` was not given. gpg-error: EEXIST. */
export class KeyExistsError extends CardAppError {
  override name = "KeyExistsError";
}

/** Private key material does not match the slot (sizes, curve). gpg-error: BAD_SECKEY. */
export class BadSecretKeyError extends CardAppError {
  override name = "BadSecretKeyError";
}

/** Data too large for the card or the command. gpg-error: TOO_LARGE. */
export class TooLargeError extends CardAppError {
  override name = "TooLargeError";
}

/** Admin commands are disabled (deny-admin). gpg-error: EACCES. */
export class AccessDeniedError extends CardAppError {
  override name = "AccessDeniedError";
}

/** Plain refusal without a precise code (stock uses GPG_ERR_GENERAL). gpg-error: GENERAL. */
export class GeneralError extends CardAppError {
  override name = "GeneralError";
}

/** A card object has an unusable form (e.g. UIF without a button). gpg-error: INV_OBJ. */
export class InvalidObjectError extends CardAppError {
  override name = "InvalidObjectError";
}

/** A requested size is below the minimum (RSA < 1024 bits). gpg-error: TOO_SHORT. */
export class TooShortError extends CardAppError {
  override name = "TooShortError";
}

/** Public-key algorithm not usable here (DSA, Elgamal). gpg-error: PUBKEY_ALGO. */
export class PubkeyAlgoError extends CardAppError {
  override name = "PubkeyAlgoError";
}

/** Algorithm does not fit the slot (ECDH outside slot 2). gpg-error: WRONG_PUBKEY_ALGO. */
export class WrongPubkeyAlgoError extends CardAppError {
  override name = "WrongPubkeyAlgoError";
}

/** Malformed argument structure. gpg-error: INV_ARG. */
export class InvalidArgumentError extends CardAppError {
  override name = "InvalidArgumentError";
}

/** No reset code set or its counter is 0. gpg-error: NO_RESET_CODE (gnupg-private 321). */
export class NoResetCodeError extends CardAppError {
  override name = "NoResetCodeError";
}

/** Reset code unusable (too short). gpg-error: BAD_RESET_CODE (gnupg-private 322). */
export class BadResetCodeError extends CardAppError {
  override name = "BadResetCodeError";
}

/** A signature the application checked does not verify. gpg-error: BAD_SIGNATURE. */
export class BadSignatureError extends CardAppError {
  override name = "BadSignatureError";
}

/**
 * Another card sits in the reader than the one this operation began with (found between the
 * transactions of an operation that asked for a PIN). gpg-error: CARD_REMOVED.
 */
export class CardChangedError extends CardAppError {
  override name = "CardChangedError";
}

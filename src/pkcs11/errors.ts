/**
 * PKCS#11 failures in card-application terms (src/app/errors.ts), so src/scd maps them to the
 * same gpg-errors as a card's: a wrong PIN is BAD_PIN, a locked one PIN_BLOCKED, a token that
 * went away CARD_REMOVED. The message keeps the module's path and the `CKR_…` code.
 * @module
 */

import {
  CardAppError,
  CardChangedError,
  GeneralError,
  InvalidValueError,
  NotSupportedError,
  PinBlockedError,
  PinError,
} from "../app/mod.ts";
import { Pkcs11Error, Pkcs11ModuleError } from "../../ffi/mod.ts";

const BY_CODE: Record<string, (message: string) => CardAppError> = {
  CKR_PIN_INCORRECT: (m) => new PinError(m),
  CKR_PIN_INVALID: (m) => new PinError(m),
  CKR_PIN_LEN_RANGE: (m) => new PinError(m, { reason: "too-short" }),
  CKR_PIN_LOCKED: (m) => new PinBlockedError(m),
  CKR_TOKEN_NOT_PRESENT: (m) => new CardChangedError(m),
  CKR_DEVICE_REMOVED: (m) => new CardChangedError(m),
  CKR_SESSION_HANDLE_INVALID: (m) => new CardChangedError(m),
  CKR_SESSION_CLOSED: (m) => new CardChangedError(m),
  CKR_MECHANISM_INVALID: (m) => new NotSupportedError(m),
  CKR_FUNCTION_NOT_SUPPORTED: (m) => new NotSupportedError(m),
  CKR_KEY_FUNCTION_NOT_PERMITTED: (m) => new NotSupportedError(m),
  CKR_KEY_TYPE_INCONSISTENT: (m) => new NotSupportedError(m),
  CKR_DATA_INVALID: (m) => new InvalidValueError(m),
  CKR_DATA_LEN_RANGE: (m) => new InvalidValueError(m),
  CKR_ENCRYPTED_DATA_INVALID: (m) => new InvalidValueError(m),
  CKR_ENCRYPTED_DATA_LEN_RANGE: (m) => new InvalidValueError(m),
};

/** `e` as a card-application error (others pass unchanged). */
export function appError(e: unknown): unknown {
  if (e instanceof Pkcs11Error) {
    const make = BY_CODE[e.code] ?? ((m: string) => new GeneralError(m));
    const mapped = make(e.message);
    mapped.cause = e;
    return mapped;
  }
  if (e instanceof Pkcs11ModuleError) return new GeneralError(e.message, { cause: e });
  return e;
}

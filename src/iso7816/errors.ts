/**
 * Errors of the ISO 7816 layer. Card status words and host-side length problems are
 * separate classes (gnupg's apdu.h folds host errors into fake status words; we do not).
 * @module
 */

import { swName } from "./sw.ts";

/** The card answered a status word other than the one the caller accepts (usually 9000). */
export class ApduError extends Error {
  override name = "ApduError";
  /** SW1 SW2 as one number. */
  readonly sw: number;
  /** Response data that came with the status word (often empty). */
  readonly data: Uint8Array;

  constructor(sw: number, options: { action?: string; data?: Uint8Array } = {}) {
    super(`${options.action ?? "Cannot run command"}: card answered ${swName(sw)}`);
    this.sw = sw;
    this.data = options.data ?? new Uint8Array(0);
  }
}

/** A command does not fit any APDU form the card supports (gnupg: GPG_ERR_TOO_LARGE). */
export class ApduLengthError extends RangeError {
  override name = "ApduLengthError";
}

/** A response is malformed (shorter than two status bytes). */
export class ResponseSyntaxError extends SyntaxError {
  override name = "ResponseSyntaxError";
}

/**
 * `GpgError`: an error carrying a gpg-error code and source, built from a code name.
 * @module
 */

import {
  GPG_ERR_SOURCE_SCD,
  gpgErrorCode,
  type GpgErrorName,
  gpgErrorName,
  gpgErrorValue,
  gpgStrerror,
  gpgStrsource,
} from "./codes.ts";

/** Options for {@linkcode GpgError}. */
export interface GpgErrorOptions {
  /** Extra text for the `ERR` line (` - <description>`), like gnupg's `set_error(code, text)`. */
  description?: string;
  /** Error source; default {@linkcode GPG_ERR_SOURCE_SCD}. */
  source?: number;
  /** The underlying error, for logs (never sent to the client). */
  cause?: unknown;
}

/**
 * An error that the Assuan server reports as `ERR <value> <strerror> <<source>>[ - <description>]`.
 *
 * @example
 * ```ts
 * import { GpgError } from "./gpg_error.ts";
 * const e = new GpgError("BAD_PIN");
 * console.assert(e.value === 100663383 && e.message === "Bad PIN");
 * ```
 */
export class GpgError extends Error {
  override name = "GpgError";
  /** The gpg-error code (low 16 bits), e.g. 87 for BAD_PIN. */
  readonly code: number;
  /** The error source, 6 (SCD) unless given. */
  readonly source: number;
  /** Text appended to the ERR line after ` - `. */
  readonly description: string | undefined;

  constructor(name: GpgErrorName, options: GpgErrorOptions = {}) {
    const code = gpgErrorCode(name);
    super(
      options.description === undefined
        ? gpgStrerror(code)
        : `${gpgStrerror(code)}: ${options.description}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.source = options.source ?? GPG_ERR_SOURCE_SCD;
    this.description = options.description;
  }

  /** `gpg_err_make(source, code)`: the number on the wire. */
  get value(): number {
    return gpgErrorValue(this.source, this.code);
  }

  /** The code's name (e.g. `"BAD_PIN"`). */
  get codeName(): GpgErrorName {
    // The constructor only accepts names, so the lookup cannot miss.
    return gpgErrorName(this.code)!;
  }

  /** `gpg_strerror` text of the code. */
  get text(): string {
    return gpgStrerror(this.code);
  }

  /** `gpg_strsource` text of the source. */
  get sourceText(): string {
    return gpgStrsource(this.source);
  }

  /** True if `e` is a GpgError with the given code name. */
  static is(e: unknown, name: GpgErrorName): e is GpgError {
    return e instanceof GpgError && e.code === gpgErrorCode(name);
  }
}

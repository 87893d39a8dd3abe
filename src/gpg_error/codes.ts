/**
 * gpg-error codes: names, numbers and `gpg_strerror` texts.
 *
 * Numbers and texts come from libgpg-error (gpg/libgpg-error:src/err-codes.h.in,
 * src/err-sources.h.in, src/errnos.in); they are written on the wire byte for byte in
 * `ERR` lines, so each text was checked against the installed libgpg-error 1.46
 * (`gpg_strerror`). System errors are `GPG_ERR_SYSTEM_ERROR (0x8000) | index`, where the index
 * is libgpg-error's own errno table (errnos.in), not the OS errno; their texts are glibc's
 * `strerror` in the C locale, which is what `gpg_strerror` returns for them on Linux.
 *
 * Only the codes scd-ts (and the scdaemon it replaces) can produce are listed; any other code
 * prints as "Unknown error code", as libgpg-error does for codes outside its table.
 * @module
 */

/** `GPG_ERR_SYSTEM_ERROR`: flag bit of errno-class codes. */
export const GPG_ERR_SYSTEM_ERROR = 0x8000;
const SYS = GPG_ERR_SYSTEM_ERROR;

/** `GPG_ERR_SOURCE_SCD`: the error source of scdaemon (and of scd-ts). */
export const GPG_ERR_SOURCE_SCD = 6;

/**
 * Code name (without the `GPG_ERR_` prefix) → [code, gpg_strerror text].
 *
 * BAD_PUK, NO_RESET_CODE and BAD_RESET_CODE came with libgpg-error 1.47; gnupg 2.4 defines
 * the numbers itself when building against an older one (gpg/gnupg:common/util.h), where
 * `gpg_strerror` prints "Unknown error code" for them. We print the newer texts.
 */
const TABLE = {
  GENERAL: [1, "General error"],
  PUBKEY_ALGO: [4, "Invalid public key algorithm"],
  DIGEST_ALGO: [5, "Invalid digest algorithm"],
  BAD_PUBKEY: [6, "Bad public key"],
  BAD_SECKEY: [7, "Bad secret key"],
  BAD_SIGNATURE: [8, "Bad signature"],
  NO_PUBKEY: [9, "No public key"],
  CHECKSUM: [10, "Checksum error"],
  NO_SECKEY: [17, "No secret key"],
  WRONG_SECKEY: [18, "Wrong secret key used"],
  NO_VALUE: [26, "No value"],
  NOT_FOUND: [27, "Not found"],
  VALUE_NOT_FOUND: [28, "Value not found"],
  SYNTAX: [29, "Syntax error"],
  WRONG_PUBKEY_ALGO: [41, "Wrong public key algorithm"],
  INV_KEYLEN: [44, "Invalid key length"],
  INV_ARG: [45, "Invalid argument"],
  SELFTEST_FAILED: [50, "Selftest failed"],
  INV_VALUE: [55, "Invalid value"],
  NO_DATA: [58, "No data"],
  BUG: [59, "Bug"],
  NOT_SUPPORTED: [60, "Not supported"],
  INV_OP: [61, "Invalid operation code"],
  TIMEOUT: [62, "Timeout"],
  INTERNAL: [63, "Internal error"],
  INV_OBJ: [65, "Invalid object"],
  TOO_SHORT: [66, "Provided object is too short"],
  TOO_LARGE: [67, "Provided object is too large"],
  NO_OBJ: [68, "Missing item in object"],
  NOT_IMPLEMENTED: [69, "Not implemented"],
  CONFLICT: [70, "Conflicting use"],
  INV_FLAG: [72, "Invalid flag"],
  INV_HANDLE: [73, "Invalid handle"],
  TRUNCATED: [74, "Result truncated"],
  INCOMPLETE_LINE: [75, "Incomplete line"],
  INV_RESPONSE: [76, "Invalid response"],
  INV_DATA: [79, "Invalid data"],
  ASSUAN_SERVER_FAULT: [80, "Unspecific Assuan server fault"],
  ASSUAN: [81, "General Assuan error"],
  INV_SEXP: [83, "Invalid S-expression"],
  UNSUPPORTED_ALGORITHM: [84, "Unsupported algorithm"],
  NO_PIN_ENTRY: [85, "No pinentry"],
  PIN_ENTRY: [86, "pinentry error"],
  BAD_PIN: [87, "Bad PIN"],
  INV_NAME: [88, "Invalid name"],
  BAD_DATA: [89, "Bad data"],
  INV_PARAMETER: [90, "Invalid parameter"],
  WRONG_CARD: [91, "Wrong card"],
  LINE_TOO_LONG: [97, "Line too long"],
  CANCELED: [99, "Operation cancelled"],
  UNKNOWN_SEXP: [104, "Unknown S-expression"],
  CARD: [108, "Card error"],
  CARD_RESET: [109, "Card reset required"],
  CARD_REMOVED: [110, "Card removed"],
  INV_CARD: [111, "Invalid card"],
  CARD_NOT_PRESENT: [112, "Card not present"],
  NOT_CONFIRMED: [114, "Not confirmed"],
  CONFIGURATION: [115, "Configuration error"],
  INV_INDEX: [117, "Invalid index"],
  INV_ID: [118, "Invalid ID"],
  NO_SCDAEMON: [119, "No SmartCard daemon"],
  SCDAEMON: [120, "SmartCard daemon error"],
  BAD_PIN_METHOD: [122, "Bad PIN method"],
  CARD_NOT_INITIALIZED: [123, "Card not initialized"],
  UNSUPPORTED_OPERATION: [124, "Unsupported operation"],
  WRONG_KEY_USAGE: [125, "Wrong key usage"],
  NOTHING_FOUND: [126, "Nothing found"],
  MISSING_VALUE: [128, "Missing value"],
  HARDWARE: [129, "Hardware problem"],
  PIN_BLOCKED: [130, "PIN blocked"],
  USE_CONDITIONS: [131, "Conditions of use not satisfied"],
  PIN_NOT_SYNCED: [132, "PINs are not synced"],
  INV_LENGTH: [139, "Invalid length"],
  UNSUPPORTED_ENCODING: [147, "Unsupported encoding"],
  UNKNOWN_ALGORITHM: [149, "Unknown algorithm"],
  DECRYPT_FAILED: [152, "Decryption failed"],
  ENCODING_PROBLEM: [155, "Encoding problem"],
  INV_STATE: [156, "Invalid state"],
  DUP_VALUE: [157, "Duplicated value"],
  INV_TIME: [161, "Invalid time"],
  INV_CERT_OBJ: [164, "Invalid certificate object"],
  UNKNOWN_NAME: [165, "Unknown name"],
  NOT_LOCKED: [167, "Not locked"],
  PROTOCOL_VIOLATION: [168, "Protocol violation"],
  INV_REQUEST: [170, "Invalid request"],
  LOCKED: [173, "Locked"],
  UNKNOWN_OPTION: [174, "Unknown option"],
  UNKNOWN_COMMAND: [175, "Unknown command"],
  NOT_OPERATIONAL: [176, "Not operational"],
  NO_PASSPHRASE: [177, "No passphrase given"],
  NO_PIN: [178, "No PIN given"],
  NOT_ENABLED: [179, "Not enabled"],
  MISSING_KEY: [181, "Missing key"],
  TOO_MANY: [182, "Too many objects"],
  LIMIT_REACHED: [183, "Limit reached"],
  NOT_INITIALIZED: [184, "Not initialized"],
  INV_CURVE: [187, "Invalid elliptic curve"],
  UNKNOWN_CURVE: [188, "Unknown elliptic curve"],
  AMBIGUOUS: [190, "Ambiguous result"],
  FULLY_CANCELED: [198, "Operation fully cancelled"],
  UNFINISHED: [199, "Operation not yet finished"],
  BUFFER_TOO_SHORT: [200, "Buffer too short"],
  NO_KEY: [221, "No key"],
  REQUEST_TOO_SHORT: [223, "Request too short"],
  REQUEST_TOO_LONG: [224, "Request too long"],
  OBJ_TERM_STATE: [225, "Object is in termination state"],
  TRUE: [255, "True"],
  FALSE: [256, "False"],
  ASS_GENERAL: [257, "General IPC error"],
  ASS_ACCEPT_FAILED: [258, "IPC accept call failed"],
  ASS_CONNECT_FAILED: [259, "IPC connect call failed"],
  ASS_INV_RESPONSE: [260, "Invalid IPC response"],
  ASS_INV_VALUE: [261, "Invalid value passed to IPC"],
  ASS_INCOMPLETE_LINE: [262, "Incomplete line passed to IPC"],
  ASS_LINE_TOO_LONG: [263, "Line passed to IPC too long"],
  ASS_NESTED_COMMANDS: [264, "Nested IPC commands"],
  ASS_NO_DATA_CB: [265, "No data callback in IPC"],
  ASS_NO_INQUIRE_CB: [266, "No inquire callback in IPC"],
  ASS_NOT_A_SERVER: [267, "Not an IPC server"],
  ASS_NOT_A_CLIENT: [268, "Not an IPC client"],
  ASS_SERVER_START: [269, "Problem starting IPC server"],
  ASS_READ_ERROR: [270, "IPC read error"],
  ASS_WRITE_ERROR: [271, "IPC write error"],
  ASS_TOO_MUCH_DATA: [273, "Too much data for IPC layer"],
  ASS_UNEXPECTED_CMD: [274, "Unexpected IPC command"],
  ASS_UNKNOWN_CMD: [275, "Unknown IPC command"],
  ASS_SYNTAX: [276, "IPC syntax error"],
  ASS_CANCELED: [277, "IPC call has been cancelled"],
  ASS_NO_INPUT: [278, "No input source for IPC"],
  ASS_NO_OUTPUT: [279, "No output source for IPC"],
  ASS_PARAMETER: [280, "IPC parameter error"],
  ASS_UNKNOWN_INQUIRE: [281, "Unknown IPC inquire"],
  TRY_LATER: [312, "Try again later"],
  NO_AUTH: [314, "Not authenticated"],
  BAD_AUTH: [315, "Bad authentication"],
  NO_SERVICE: [318, "Service is not running"],
  SERVICE: [319, "Service error"],
  BAD_PUK: [320, "Bad PUK"],
  NO_RESET_CODE: [321, "No reset code"],
  BAD_RESET_CODE: [322, "Bad reset code"],
  MISSING_ERRNO: [16381, "System error w/o errno"],
  UNKNOWN_ERRNO: [16382, "Unknown system error"],
  EOF: [16383, "End of file"],
  EACCES: [SYS | 1, "Permission denied"],
  EAGAIN: [SYS | 6, "Resource temporarily unavailable"],
  EBUSY: [SYS | 19, "Device or resource busy"],
  ECANCELED: [SYS | 20, "Operation canceled"],
  ECONNRESET: [SYS | 26, "Connection reset by peer"],
  EEXIST: [SYS | 35, "File exists"],
  EINTR: [SYS | 47, "Interrupted system call"],
  EINVAL: [SYS | 48, "Invalid argument"],
  EIO: [SYS | 49, "Input/output error"],
  ENODEV: [SYS | 80, "No such device"],
  ENOENT: [SYS | 81, "No such file or directory"],
  ENOMEM: [SYS | 86, "Cannot allocate memory"],
  ENOSPC: [SYS | 91, "No space left on device"],
  ENOSYS: [SYS | 94, "Function not implemented"],
  ENOTSUP: [SYS | 101, "Operation not supported"],
  ENXIO: [SYS | 104, "No such device or address"],
  EOVERFLOW: [SYS | 106, "Value too large for defined data type"],
  EPERM: [SYS | 107, "Operation not permitted"],
  EPIPE: [SYS | 109, "Broken pipe"],
  ETIMEDOUT: [SYS | 132, "Connection timed out"],
} as const satisfies Record<string, readonly [number, string]>;

/** A gpg-error code name, e.g. `"BAD_PIN"` for `GPG_ERR_BAD_PIN`. */
export type GpgErrorName = keyof typeof TABLE;

/** Code name → number, e.g. `GPG_ERR.BAD_PIN === 87`. */
export const GPG_ERR: { readonly [K in GpgErrorName]: (typeof TABLE)[K][0] } = Object.fromEntries(
  Object.entries(TABLE).map(([name, [code]]) => [name, code]),
) as { readonly [K in GpgErrorName]: (typeof TABLE)[K][0] };

const TEXTS = new Map<number, string>(Object.values(TABLE).map(([code, text]) => [code, text]));
const NAMES = new Map<number, GpgErrorName>(
  Object.entries(TABLE).map(([name, [code]]) => [code, name as GpgErrorName]),
);

/** Source number → `gpg_strsource` text (gpg/libgpg-error:src/err-sources.h.in). */
const SOURCES: ReadonlyMap<number, string> = new Map([
  [0, "Unspecified source"],
  [1, "gcrypt"],
  [2, "GnuPG"],
  [3, "GpgSM"],
  [4, "GPG Agent"],
  [5, "Pinentry"],
  [6, "SCD"],
  [7, "GPGME"],
  [8, "Keybox"],
  [9, "KSBA"],
  [10, "Dirmngr"],
  [11, "GSTI"],
  [12, "GPA"],
  [13, "Kleopatra"],
  [14, "G13"],
  [15, "Assuan"],
  [16, "TPM2d"],
  [17, "TLS"],
  [18, "TKD"],
  [31, "Any source"],
  [32, "User defined source 1"],
  [33, "User defined source 2"],
  [34, "User defined source 3"],
  [35, "User defined source 4"],
]);

/** The number of a code name. */
export function gpgErrorCode(name: GpgErrorName): number {
  return TABLE[name][0];
}

/** The name of a code number, if the code is one of ours. */
export function gpgErrorName(code: number): GpgErrorName | undefined {
  return NAMES.get(code);
}

/** `gpg_strerror` of a code (the low 16 bits of an error value are used). */
export function gpgStrerror(code: number): string {
  if ((code & 0xffff) === 0) return "Success";
  return TEXTS.get(code & 0xffff) ?? "Unknown error code";
}

/** `gpg_strsource` of a source number (0…127). */
export function gpgStrsource(source: number): string {
  return SOURCES.get(source & 0x7f) ?? "Unknown source";
}

/** `gpg_err_make`: `(source << 24) | code`, or 0 for code 0. */
export function gpgErrorValue(source: number, code: number): number {
  if ((code & 0xffff) === 0) return 0;
  return (((source & 0x7f) << 24) | (code & 0xffff)) >>> 0;
}

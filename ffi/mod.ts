/**
 * The FFI bindings to pcsc-lite and to the few libc calls the daemon makes on itself
 * (libc.ts): the only folder that knows C. Importing it loads nothing; {@linkcode openPcsc}
 * dlopens `libpcsclite.so.1` on first use (override with `SCD_TS_PCSC_LIBRARY`), and
 * {@linkcode openLibc} `libc.so.6`. Other folders import from here only.
 *
 * @module
 */

export * from "./pcsclite_consts.ts";
export {
  ABI,
  ABI_DARWIN,
  ABI_LINUX_LP64,
  abiFor,
  allocReaderStates,
  allocWord,
  decodeIoRequest,
  DWORD,
  encodeIoRequest,
  LONG,
  type PcscAbi,
  readDword,
  type ReaderStateInput,
  type ReaderStateOutput,
  readLong,
  readReaderPointer,
  readReaderState,
  writeDword,
  writeLong,
  writeReaderState,
  writeReaderStateResult,
} from "./pcsclite_abi.ts";
export {
  describeLoadFailure,
  libraryCandidates,
  type LoadAttempt,
  openPcsc,
  PCSC_LIBRARY_ENV,
  PCSC_SYMBOLS,
  type PcscLibrary,
  PcscLibraryError,
  type PcscSymbols,
} from "./pcsclite.ts";
export { decodeCString, decodeMultiString, encodeCString, encodeMultiString } from "./cstring.ts";
export {
  decodeRlimit,
  disableCoreDumps,
  encodeRlimit,
  getCoreLimit,
  getDumpable,
  LIBC_SYMBOLS,
  LibcError,
  type LibcSymbols,
  openLibc,
  type Rlimit,
} from "./libc.ts";
export * from "./pkcs11_abi.ts";
export { Pkcs11Error, type Pkcs11LoadOptions, Pkcs11Module, Pkcs11ModuleError } from "./pkcs11.ts";
export * from "./pkcs11_admin.ts";

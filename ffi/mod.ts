/**
 * The FFI binding to pcsc-lite: the only folder that knows C. Importing it loads nothing;
 * {@linkcode openPcsc} dlopens `libpcsclite.so.1` on first use (override with
 * `SCD_TS_PCSC_LIBRARY`). Other folders import from here only.
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

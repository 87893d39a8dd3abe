/**
 * The only file that knows C widths and struct layouts of pcsc-lite.
 *
 * pcsc-lite (`PCSC/wintypes.h`) makes `DWORD` an `unsigned long` and `LONG` a `long`, so on
 * Linux LP64 both are 64-bit and `SCARDCONTEXT`/`SCARDHANDLE` (typedef'd to `LONG`) too. Apple's
 * PCSC framework uses 32-bit types and `#pragma pack(1)` for the structs (`PCSC/pcsclite.h.in`).
 *
 * ```text
 * SCARD_READERSTATE, Linux LP64 (size 80, align 8)      macOS (packed, size 61)
 *   0  const char *szReader                               0  szReader
 *   8  void *pvUserData                                   8  pvUserData
 *  16  DWORD dwCurrentState                              16  dwCurrentState (u32)
 *  24  DWORD dwEventState                                20  dwEventState
 *  32  DWORD cbAtr                                       24  cbAtr
 *  40  unsigned char rgbAtr[33]  (+7 bytes padding)      28  rgbAtr[33]
 *
 * SCARD_IO_REQUEST: { unsigned long dwProtocol; unsigned long cbPciLength; }  16 bytes on LP64
 * ```
 *
 * Codecs here read and write those structs through `DataView` and need no FFI permission.
 *
 * @module
 */

import { MAX_ATR_SIZE } from "./pcsclite_consts.ts";

/** The C ABI facts one platform's pcsc-lite uses. */
export interface PcscAbi {
  /** Deno FFI type of `DWORD`. */
  readonly DWORD: "u64" | "u32";
  /** Deno FFI type of `LONG` (also `SCARDCONTEXT`, `SCARDHANDLE`). */
  readonly LONG: "i64" | "i32";
  /** Byte width of `DWORD`/`LONG`. */
  readonly wordSize: 8 | 4;
  /** Byte width of a pointer. */
  readonly pointerSize: 8;
  /** `SCARD_READERSTATE` field offsets and size. */
  readonly readerState: {
    readonly szReader: number;
    readonly pvUserData: number;
    readonly dwCurrentState: number;
    readonly dwEventState: number;
    readonly cbAtr: number;
    readonly rgbAtr: number;
    readonly size: number;
  };
  /** `SCARD_IO_REQUEST` field offsets and size. */
  readonly ioRequest: {
    readonly dwProtocol: number;
    readonly cbPciLength: number;
    readonly size: number;
  };
}

/** pcsc-lite on Linux x86_64/aarch64 (LP64: `long` is 8 bytes, natural alignment). */
export const ABI_LINUX_LP64: PcscAbi = {
  DWORD: "u64",
  LONG: "i64",
  wordSize: 8,
  pointerSize: 8,
  readerState: {
    szReader: 0,
    pvUserData: 8,
    dwCurrentState: 16,
    dwEventState: 24,
    cbAtr: 32,
    rgbAtr: 40,
    size: 80, // 40 + 33 = 73, rounded up to the 8-byte alignment of the struct
  },
  ioRequest: { dwProtocol: 0, cbPciLength: 8, size: 16 },
};

/** Apple's PCSC framework (32-bit DWORD/LONG, structs packed to 1 byte). Untested. */
export const ABI_DARWIN: PcscAbi = {
  DWORD: "u32",
  LONG: "i32",
  wordSize: 4,
  pointerSize: 8,
  readerState: {
    szReader: 0,
    pvUserData: 8,
    dwCurrentState: 16,
    dwEventState: 20,
    cbAtr: 24,
    rgbAtr: 28,
    size: 61,
  },
  ioRequest: { dwProtocol: 0, cbPciLength: 4, size: 8 },
};

/** The ABI for an OS as named by `Deno.build.os`; Linux (and other Unix) use LP64. */
export function abiFor(os: typeof Deno.build.os): PcscAbi {
  return os === "darwin" ? ABI_DARWIN : ABI_LINUX_LP64;
}

/** The ABI of the running platform. */
export const ABI: PcscAbi = abiFor(Deno.build.os);
/** Deno FFI type of `DWORD` on this platform. */
export const DWORD = ABI.DWORD;
/** Deno FFI type of `LONG`, `SCARDCONTEXT` and `SCARDHANDLE` on this platform. */
export const LONG = ABI.LONG;

function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Allocates a zeroed buffer for one `DWORD`/`LONG` out-parameter. */
export function allocWord(abi: PcscAbi = ABI): Uint8Array {
  return new Uint8Array(abi.wordSize);
}

/** Reads an unsigned `DWORD` at `offset` (values above 2^53 are not expected from pcsc-lite). */
export function readDword(buf: Uint8Array, offset = 0, abi: PcscAbi = ABI): number {
  const v = viewOf(buf);
  return abi.wordSize === 8 ? Number(v.getBigUint64(offset, true)) : v.getUint32(offset, true);
}

/** Writes an unsigned `DWORD` at `offset`. */
export function writeDword(buf: Uint8Array, value: number, offset = 0, abi: PcscAbi = ABI): void {
  const v = viewOf(buf);
  if (abi.wordSize === 8) v.setBigUint64(offset, BigInt(value), true);
  else v.setUint32(offset, value >>> 0, true);
}

/** Reads a signed `LONG` (a context or card handle) as a bigint. */
export function readLong(buf: Uint8Array, offset = 0, abi: PcscAbi = ABI): bigint {
  const v = viewOf(buf);
  return abi.wordSize === 8 ? v.getBigInt64(offset, true) : BigInt(v.getInt32(offset, true));
}

/** Writes a signed `LONG` (used by fakes and tests). */
export function writeLong(buf: Uint8Array, value: bigint, offset = 0, abi: PcscAbi = ABI): void {
  const v = viewOf(buf);
  if (abi.wordSize === 8) v.setBigInt64(offset, value, true);
  else v.setInt32(offset, Number(BigInt.asIntN(32, value)), true);
}

/** Builds a `SCARD_IO_REQUEST` for a protocol (`cbPciLength` = the struct size, as pcsc-lite's PCIs). */
export function encodeIoRequest(protocol: number, abi: PcscAbi = ABI): Uint8Array {
  const buf = new Uint8Array(abi.ioRequest.size);
  writeDword(buf, protocol, abi.ioRequest.dwProtocol, abi);
  writeDword(buf, abi.ioRequest.size, abi.ioRequest.cbPciLength, abi);
  return buf;
}

/** Reads a `SCARD_IO_REQUEST`. */
export function decodeIoRequest(
  buf: Uint8Array,
  abi: PcscAbi = ABI,
): { protocol: number; pciLength: number } {
  return {
    protocol: readDword(buf, abi.ioRequest.dwProtocol, abi),
    pciLength: readDword(buf, abi.ioRequest.cbPciLength, abi),
  };
}

/** The input half of one `SCARD_READERSTATE`. */
export interface ReaderStateInput {
  /** Address of the NUL-terminated reader name (keep that buffer alive during the call). */
  readerPointer: bigint;
  /** What the caller believes the state is (`dwCurrentState`). */
  currentState: number;
  /** Optional `pvUserData` value. */
  userData?: bigint;
}

/** The output half of one `SCARD_READERSTATE`. */
export interface ReaderStateOutput {
  /** `dwCurrentState` as it is in the struct. */
  currentState: number;
  /** `dwEventState`: state bits in the low 16 bits, event counter in the high 16. */
  eventState: number;
  /** The ATR (`rgbAtr[0..cbAtr]`), a copy. */
  atr: Uint8Array;
}

/** Allocates a zeroed array of `count` `SCARD_READERSTATE` structs. */
export function allocReaderStates(count: number, abi: PcscAbi = ABI): Uint8Array {
  return new Uint8Array(abi.readerState.size * count);
}

/** Writes the input fields of element `index` of a `SCARD_READERSTATE` array. */
export function writeReaderState(
  buf: Uint8Array,
  index: number,
  input: ReaderStateInput,
  abi: PcscAbi = ABI,
): void {
  const rs = abi.readerState;
  const base = index * rs.size;
  const v = viewOf(buf);
  v.setBigUint64(base + rs.szReader, input.readerPointer, true);
  v.setBigUint64(base + rs.pvUserData, input.userData ?? 0n, true);
  writeDword(buf, input.currentState, base + rs.dwCurrentState, abi);
  writeDword(buf, 0, base + rs.dwEventState, abi);
  writeDword(buf, 0, base + rs.cbAtr, abi);
  buf.fill(0, base + rs.rgbAtr, base + rs.rgbAtr + MAX_ATR_SIZE);
}

/** Reads the output fields of element `index` of a `SCARD_READERSTATE` array. */
export function readReaderState(
  buf: Uint8Array,
  index: number,
  abi: PcscAbi = ABI,
): ReaderStateOutput {
  const rs = abi.readerState;
  const base = index * rs.size;
  const cbAtr = Math.min(readDword(buf, base + rs.cbAtr, abi), MAX_ATR_SIZE);
  return {
    currentState: readDword(buf, base + rs.dwCurrentState, abi),
    eventState: readDword(buf, base + rs.dwEventState, abi),
    atr: buf.slice(base + rs.rgbAtr, base + rs.rgbAtr + cbAtr),
  };
}

/** Reads the `szReader` pointer of element `index` (for fakes and tests). */
export function readReaderPointer(buf: Uint8Array, index: number, abi: PcscAbi = ABI): bigint {
  return viewOf(buf).getBigUint64(index * abi.readerState.size + abi.readerState.szReader, true);
}

/** Writes the output fields of element `index`, as pcsc-lite does (for fakes and tests). */
export function writeReaderStateResult(
  buf: Uint8Array,
  index: number,
  result: { eventState: number; atr: Uint8Array },
  abi: PcscAbi = ABI,
): void {
  const rs = abi.readerState;
  const base = index * rs.size;
  const atr = result.atr.subarray(0, MAX_ATR_SIZE);
  writeDword(buf, result.eventState, base + rs.dwEventState, abi);
  writeDword(buf, atr.length, base + rs.cbAtr, abi);
  buf.set(atr, base + rs.rgbAtr);
}

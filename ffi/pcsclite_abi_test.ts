import assert from "node:assert/strict";
import {
  ABI_DARWIN,
  ABI_LINUX_LP64,
  abiFor,
  allocReaderStates,
  decodeIoRequest,
  encodeIoRequest,
  readDword,
  readLong,
  readReaderPointer,
  readReaderState,
  writeDword,
  writeLong,
  writeReaderState,
  writeReaderStateResult,
} from "./pcsclite_abi.ts";
import { MAX_ATR_SIZE } from "./pcsclite_consts.ts";

Deno.test("ABI_LINUX_LP64 matches pcsc-lite's SCARD_READERSTATE layout on LP64", () => {
  assert.deepEqual(ABI_LINUX_LP64.readerState, {
    szReader: 0,
    pvUserData: 8,
    dwCurrentState: 16,
    dwEventState: 24,
    cbAtr: 32,
    rgbAtr: 40,
    size: 80,
  });
  // rgbAtr must hold MAX_ATR_SIZE (33, not Windows' 36) bytes before the padded end.
  const rs = ABI_LINUX_LP64.readerState;
  assert.deepEqual(Math.ceil((rs.rgbAtr + MAX_ATR_SIZE) / 8) * 8, rs.size);
  assert.deepEqual(ABI_LINUX_LP64.ioRequest, { dwProtocol: 0, cbPciLength: 8, size: 16 });
  assert.deepEqual([ABI_LINUX_LP64.DWORD, ABI_LINUX_LP64.LONG, ABI_LINUX_LP64.wordSize], [
    "u64",
    "i64",
    8,
  ]);
});

Deno.test("ABI_DARWIN is packed with 32-bit words", () => {
  const rs = ABI_DARWIN.readerState;
  assert.deepEqual(rs.size, rs.rgbAtr + MAX_ATR_SIZE);
  assert.deepEqual([rs.dwCurrentState, rs.dwEventState, rs.cbAtr, rs.rgbAtr], [16, 20, 24, 28]);
  assert.deepEqual(ABI_DARWIN.ioRequest.size, 8);
});

Deno.test("abiFor() picks LP64 for linux and the packed layout for darwin", () => {
  assert.deepEqual(abiFor("linux"), ABI_LINUX_LP64);
  assert.deepEqual(abiFor("darwin"), ABI_DARWIN);
});

Deno.test("encodeIoRequest() writes protocol and its own size", () => {
  const pci = encodeIoRequest(2, ABI_LINUX_LP64);
  assert.deepEqual(pci.length, 16);
  assert.deepEqual([...pci], [2, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeIoRequest(pci, ABI_LINUX_LP64), { protocol: 2, pciLength: 16 });
  const mac = encodeIoRequest(1, ABI_DARWIN);
  assert.deepEqual([...mac], [1, 0, 0, 0, 8, 0, 0, 0]);
});

Deno.test("readDword() and writeDword() round-trip u32 values in 64-bit words", () => {
  const buf = new Uint8Array(16);
  writeDword(buf, 0xffffffff, 8, ABI_LINUX_LP64);
  assert.deepEqual(readDword(buf, 8, ABI_LINUX_LP64), 0xffffffff);
  assert.deepEqual([...buf.subarray(8)], [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
});

Deno.test("readLong() reads handles as signed 64-bit", () => {
  const buf = new Uint8Array(8);
  writeLong(buf, -5n, 0, ABI_LINUX_LP64);
  assert.deepEqual(readLong(buf, 0, ABI_LINUX_LP64), -5n);
  writeLong(buf, 0x1234_5678_9abcn, 0, ABI_LINUX_LP64);
  assert.deepEqual(readLong(buf, 0, ABI_LINUX_LP64), 0x1234_5678_9abcn);
});

Deno.test("writeReaderState() and readReaderState() use the documented offsets", () => {
  for (const abi of [ABI_LINUX_LP64, ABI_DARWIN]) {
    const buf = allocReaderStates(2, abi);
    assert.deepEqual(buf.length, 2 * abi.readerState.size);
    writeReaderState(buf, 1, { readerPointer: 0xdead_beefn, currentState: 0x00030020 }, abi);
    const base = abi.readerState.size;
    assert.deepEqual(readReaderPointer(buf, 1, abi), 0xdead_beefn);
    assert.deepEqual(buf[base + abi.readerState.szReader], 0xef);
    assert.deepEqual(readDword(buf, base + abi.readerState.dwCurrentState, abi), 0x00030020);
    const atr = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);
    writeReaderStateResult(buf, 1, { eventState: 0x00040022, atr }, abi);
    assert.deepEqual(buf[base + abi.readerState.cbAtr], 5);
    assert.deepEqual(buf[base + abi.readerState.rgbAtr], 0x3b);
    const out = readReaderState(buf, 1, abi);
    assert.deepEqual(out.currentState, 0x00030020);
    assert.deepEqual(out.eventState, 0x00040022);
    assert.deepEqual([...out.atr], [...atr]);
    // element 0 untouched
    assert.deepEqual(readReaderState(buf, 0, abi).atr.length, 0);
  }
});

Deno.test("readReaderState() clamps a bogus cbAtr to MAX_ATR_SIZE", () => {
  const buf = allocReaderStates(1, ABI_LINUX_LP64);
  writeDword(buf, 200, ABI_LINUX_LP64.readerState.cbAtr, ABI_LINUX_LP64);
  assert.deepEqual(readReaderState(buf, 0, ABI_LINUX_LP64).atr.length, MAX_ATR_SIZE);
});

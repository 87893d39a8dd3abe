import assert from "node:assert/strict";
import {
  describeLoadFailure,
  libraryCandidates,
  PCSC_SYMBOLS,
  type PcscSymbols,
} from "./pcsclite.ts";

Deno.test("libraryCandidates() tries the override first, then the soname, then the dev link", () => {
  assert.deepEqual(libraryCandidates(undefined, "linux"), ["libpcsclite.so.1", "libpcsclite.so"]);
  assert.deepEqual(libraryCandidates("", "linux"), ["libpcsclite.so.1", "libpcsclite.so"]);
  assert.deepEqual(libraryCandidates("/opt/x/libpcsclite.so.1", "linux"), [
    "/opt/x/libpcsclite.so.1",
    "libpcsclite.so.1",
    "libpcsclite.so",
  ]);
  assert.deepEqual(libraryCandidates(undefined, "darwin"), [
    "/System/Library/Frameworks/PCSC.framework/PCSC",
  ]);
});

Deno.test("describeLoadFailure() names every path tried and the fix", () => {
  const text = describeLoadFailure([
    { path: "/nope.so", reason: "cannot open shared object file" },
    { path: "libpcsclite.so.1", reason: "not found" },
  ]);
  assert.match(text, /^Cannot load libpcsclite\.so\.1: not found/);
  assert.match(text, /\/nope\.so: cannot open shared object file/);
  assert.match(text, /libpcsclite\.so\.1: not found/);
  assert.match(text, /install pcscd\/libpcsclite1/);
  assert.match(text, /SCD_TS_PCSC_LIBRARY/);
});

Deno.test("PCSC_SYMBOLS marks calls that can block as nonblocking", () => {
  const mustNotBlock = [
    "SCardGetStatusChange",
    "SCardConnect",
    "SCardTransmit",
    "SCardBeginTransaction",
    "SCardReconnect",
    "SCardControl",
  ] as const;
  for (const name of mustNotBlock) {
    assert.ok(PCSC_SYMBOLS[name].nonblocking, `${name} must be nonblocking`);
  }
  // SCardCancel must run synchronously while SCardGetStatusChange blocks a worker thread.
  assert.ok(!("nonblocking" in PCSC_SYMBOLS.SCardCancel));
  const names: (keyof PcscSymbols)[] = Object.keys(PCSC_SYMBOLS) as (keyof PcscSymbols)[];
  assert.deepEqual(names.length, 15);
});

Deno.test("PCSC_SYMBOLS parameter counts follow winscard.h", () => {
  const arity: Record<keyof typeof PCSC_SYMBOLS, number> = {
    SCardEstablishContext: 4,
    SCardReleaseContext: 1,
    SCardIsValidContext: 1,
    SCardListReaders: 4,
    SCardGetStatusChange: 4,
    SCardCancel: 1,
    SCardConnect: 6,
    SCardReconnect: 5,
    SCardDisconnect: 2,
    SCardBeginTransaction: 1,
    SCardEndTransaction: 2,
    SCardStatus: 7,
    SCardTransmit: 7,
    SCardControl: 7,
    SCardGetAttrib: 4,
  };
  for (const [name, n] of Object.entries(arity)) {
    assert.deepEqual(PCSC_SYMBOLS[name as keyof typeof PCSC_SYMBOLS].parameters.length, n, name);
  }
});

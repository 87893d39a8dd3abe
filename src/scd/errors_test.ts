import { deepStrictEqual as assertEquals } from "node:assert/strict";
import * as app from "../app/mod.ts";
import {
  CardStatusError,
  InvalidNameError,
  NoObjectError,
  PinBlockedError,
  PinError,
  UnsupportedOperationError,
} from "../app/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";
import { ApduError } from "../iso7816/mod.ts";
import { PcscError } from "../pcsc/mod.ts";
import { NoCardError } from "./card_entry.ts";
import { gpgCodeForSw, toGpgError } from "./errors.ts";

Deno.test("gpgCodeForSw() follows stock map_sw", () => {
  const cases: [number, string][] = [
    [0x6982, "BAD_PIN"],
    [0x63c2, "BAD_PIN"],
    [0x6983, "PIN_BLOCKED"],
    [0x6985, "USE_CONDITIONS"],
    [0x6a88, "NO_OBJ"],
    [0x6a82, "ENOENT"],
    [0x6a80, "INV_VALUE"],
    [0x6700, "INV_VALUE"],
    [0x6a81, "NOT_SUPPORTED"],
    [0x6600, "TIMEOUT"],
    [0x6581, "HARDWARE"],
    [0x6285, "OBJ_TERM_STATE"],
    [0x6c00, "INV_VALUE"],
    [0x6c10, "CARD"], // only 6C00 itself is SW_EXACT_LENGTH in map_sw
    [0x6d00, "CARD"],
    [0x6984, "CARD"],
    [0x6f00, "CARD"],
  ];
  for (const [sw, name] of cases) assertEquals([sw, gpgCodeForSw(sw)], [sw, name]);
});

Deno.test("toGpgError() maps domain errors to stock's codes", () => {
  const cases: [unknown, number][] = [
    [new PinError("wrong", { triesLeft: 2 }), 100663383],
    [new PinError("sync", { reason: "not-synced" }), 100663428],
    [new PinBlockedError("blocked"), 100663426],
    [new CardStatusError(0x6985, "x"), 100663427],
    [new ApduError(0x6a88), 100663364],
    [new NoObjectError("none"), 100663364],
    [new InvalidNameError("FOO"), 100663384],
    [new UnsupportedOperationError("no"), 100663420],
    [new NoCardError("no-reader", "none"), 100696144],
    [new NoCardError("no-card", "none"), 100696144],
    [new NoCardError("removed", "gone"), 100663406],
    [new PcscError("SCardConnect", 0x8010000c), 100663408], // NO_SMARTCARD → CARD_NOT_PRESENT
    [new PcscError("SCardEstablishContext", 0x8010001d), 100696144], // NO_SERVICE → ENODEV
    [new PcscError("SCardConnect", 0x8010000b), 100696144], // sharing violation → ENODEV
    [new Error("wrapped", { cause: new PcscError("SCardTransmit", 0x80100068) }), 100663405],
    [new DOMException("stop", "AbortError"), 100663395],
    [new TypeError("bug"), 100663297],
  ];
  for (const [e, value] of cases) {
    assertEquals([String(e), toGpgError(e).value], [String(e), value]);
  }
});

Deno.test("toGpgError() keeps a GpgError and records the cause of others", () => {
  const g = new GpgError("LOCKED");
  assertEquals(toGpgError(g), g);
  const bug = new RangeError("oops");
  assertEquals(toGpgError(bug).cause, bug);
});

Deno.test("toGpgError() gives every card-application error the code its class names", () => {
  const unmapped: string[] = [];
  for (const [name, value] of Object.entries(app)) {
    if (typeof value !== "function" || !(value.prototype instanceof app.CardAppError)) continue;
    const make = value as unknown as new (message: string) => Error;
    const code = toGpgError(new make("x")).codeName;
    if (code === "GENERAL" && value !== app.GeneralError) unmapped.push(name);
  }
  assertEquals(unmapped, []);
});

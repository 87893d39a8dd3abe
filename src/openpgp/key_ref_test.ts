import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { InvalidIdError, WrongCardError, WrongSecretKeyError } from "../app/errors.ts";
import { fromHex } from "../util/bytes.ts";
import { checkKeyIdStr, isKeygrip, openPgpSlot, slotKeyRef } from "./key_ref.ts";

const SERIAL = "D2760001240103040006123456780000";
const G1 = "A".repeat(40);
const G3 = "C".repeat(40);
const FPR2 = "22".repeat(20);
const CARD = {
  serialNo: SERIAL,
  grips: [G1, undefined, G3],
  fingerprints: [new Uint8Array(20), fromHex(FPR2), new Uint8Array(20)],
};

Deno.test("openPgpSlot() accepts OPENPGP.1-3 in any case", () => {
  assertEquals([
    openPgpSlot("OPENPGP.1"),
    openPgpSlot("openpgp.3"),
    openPgpSlot("OPENPGP.4"),
    openPgpSlot("1"),
  ], [0, 2, undefined, undefined]);
  assertEquals(slotKeyRef(1), "OPENPGP.2");
  assertEquals([isKeygrip(G1), isKeygrip(G1 + "0"), isKeygrip("g".repeat(40))], [
    true,
    false,
    false,
  ]);
});

Deno.test("checkKeyIdStr() matches keygrips, with the auth redirect for signing", () => {
  assertEquals(checkKeyIdStr(G1, CARD, { keyNo: 1, allowAuth: true }), { useAuth: false });
  assertEquals(checkKeyIdStr(G3, CARD, { keyNo: 1, allowAuth: true }), { useAuth: true });
  assertThrows(() => checkKeyIdStr(G3, CARD, { keyNo: 1 }), InvalidIdError);
  assertThrows(() => checkKeyIdStr(G1.toLowerCase(), CARD, { keyNo: 1 }), InvalidIdError);
  assertEquals(checkKeyIdStr(G1, CARD, { keyNo: 0 }), { useAuth: false });
});

Deno.test("checkKeyIdStr() checks serial numbers and optional fingerprints", () => {
  assertEquals(checkKeyIdStr(SERIAL.toLowerCase(), CARD, { keyNo: 2 }), { useAuth: false });
  assertEquals(checkKeyIdStr(`${SERIAL}/${FPR2}`, CARD, { keyNo: 2 }), { useAuth: false });
  assertEquals(checkKeyIdStr(`${SERIAL}[CHV3]`, CARD, { keyNo: 0 }), { useAuth: false });
  assertThrows(
    () => checkKeyIdStr(`${SERIAL}/${"11".repeat(20)}`, CARD, { keyNo: 2 }),
    WrongSecretKeyError,
  );
  assertThrows(() => checkKeyIdStr(`${SERIAL}/123`, CARD, { keyNo: 2 }), InvalidIdError);
  assertThrows(
    () => checkKeyIdStr("D2760001240103040006999999990000", CARD, { keyNo: 2 }),
    WrongCardError,
  );
  assertThrows(
    () => checkKeyIdStr("D2760000850103040006123456780000", CARD, { keyNo: 2 }),
    InvalidIdError,
  );
  assertThrows(() => checkKeyIdStr("OPENPGP.2", CARD, { keyNo: 2 }), InvalidIdError);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fromHex } from "../util/bytes.ts";
import { parseAid } from "./aid.ts";
import { isYubikey, yubikeyDisplaySerialNo, yubikeySerialNo } from "./yubikey.ts";

const AID = parseAid(fromHex("D2760001240103040006123456780000"));

Deno.test("yubikeySerialNo() zeroes the application version like app_munge_serialno", () => {
  assertEquals(isYubikey(AID), true);
  assertEquals(yubikeySerialNo(AID), "D2760001240100000006123456780000");
  assertEquals(isYubikey(parseAid(fromHex("D276000124010304000F123456780000"))), false);
});

Deno.test("yubikeyDisplaySerialNo() groups digits on firmware 5 and later", () => {
  assertEquals(yubikeyDisplaySerialNo(AID, 0x050403), "12 345 678");
  assertEquals(yubikeyDisplaySerialNo(AID, 0x040307), "12345678");
  assertEquals(yubikeyDisplaySerialNo(AID, undefined), "12345678");
  const small = parseAid(fromHex("D2760001240103040006000012340000"));
  assertEquals(yubikeyDisplaySerialNo(small, 0x050201), "0 001 234");
});

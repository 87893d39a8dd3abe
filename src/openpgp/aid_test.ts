import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex } from "../util/bytes.ts";
import { AidSyntaxError, displaySerialNo, manufacturerName, parseAid } from "./aid.ts";

Deno.test("parseAid() reads version, manufacturer and serial", () => {
  const aid = parseAid(fromHex("D2760001240103040006123456780000"));
  assertEquals(aid.version, { major: 3, minor: 4 });
  assertEquals(aid.appVersion, 0x0304);
  assertEquals(aid.manufacturer, 6);
  assertEquals(aid.serial, 0x12345678);
  assertEquals(aid.serialNo, "D2760001240103040006123456780000");
  assertEquals(displaySerialNo(aid), "0006 12345678");
});

Deno.test("parseAid() rejects other applications and lengths", () => {
  assertThrows(() => parseAid(fromHex("A000000527471117")), AidSyntaxError);
  assertThrows(() => parseAid(fromHex("D2760000850101030400061234567800")), AidSyntaxError);
});

Deno.test("manufacturerName() follows gnupg 2.4's table", () => {
  assertEquals(manufacturerName(6), "Yubico");
  assertEquals(manufacturerName(0x000f), "Nitrokey");
  assertEquals(manufacturerName(0xf517), "FSIJ");
  assertEquals(manufacturerName(0xffff), "test card");
  assertEquals(manufacturerName(0), "test card");
  assertEquals(manufacturerName(0xfffe), "unmanaged S/N range");
  assertEquals(manufacturerName(0x1234), "unknown");
});

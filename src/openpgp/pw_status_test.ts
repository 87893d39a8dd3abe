import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import {
  chvStatusText,
  encodePwValidity,
  parsePwStatus,
  PwStatusSyntaxError,
} from "./pw_status.ts";

Deno.test("parsePwStatus() reads validity, lengths and tries", () => {
  const s = parsePwStatus(fromHex("017F7F7F030003"));
  assertEquals(s.pw1ValidMultiple, true);
  assertEquals(s.maxLength, { pw1: 127, rc: 127, pw3: 127 });
  assertEquals(s.tries, { pw1: 3, rc: 0, pw3: 3 });
  assertEquals(parsePwStatus(fromHex("00202020030003")).pw1ValidMultiple, false);
  assertThrows(() => parsePwStatus(fromHex("017F7F")), PwStatusSyntaxError);
});

Deno.test("chvStatusText() prints ' %d' per byte like stock (7 bytes at most)", () => {
  assertEquals(chvStatusText(fromHex("017F7F7F03000399")), " 1 127 127 127 3 0 3");
  assertEquals(toHex(encodePwValidity(false)), "00");
});

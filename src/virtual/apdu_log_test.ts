import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { ApduLog } from "./apdu_log.ts";

Deno.test("ApduLog.verifies() lists each VERIFY's reference, data length and SW, not the PIN", () => {
  const log = new ApduLog();
  const ok = Uint8Array.of(0x90, 0x00);
  log.record(Uint8Array.of(0x00, 0x20, 0x00, 0x81, 0x06, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36), ok);
  log.record(Uint8Array.of(0x00, 0x20, 0x00, 0x82), Uint8Array.of(0x63, 0xc3));
  log.record(Uint8Array.of(0x00, 0x20, 0xff, 0x81), ok);
  log.record(Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x01, 0x00, 0x00), ok);
  assertEquals(log.verifies(), [
    { p1: "00", p2: "81", dataLength: 6, sw: "9000" },
    { p1: "00", p2: "82", dataLength: 0, sw: "63C3" },
    { p1: "FF", p2: "81", dataLength: 0, sw: "9000" },
  ]);
  assertEquals(JSON.stringify(log.verifies()).includes("313233"), false);
  log.reset();
  assertEquals(log.verifies(), []);
});

import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex } from "../util/bytes.ts";
import { parseCommandApdu, responseBytes, StatusError } from "./command_apdu.ts";

const swOf = (hex: string): number => {
  try {
    parseCommandApdu(fromHex(hex));
  } catch (e) {
    if (e instanceof StatusError) return e.sw;
    throw e;
  }
  return 0x9000;
};

Deno.test("parseCommandApdu() decodes short cases 1 to 4", () => {
  assertEquals(parseCommandApdu(fromHex("00E60000")).ne, 0);
  const c2 = parseCommandApdu(fromHex("00CA006E00"));
  assertEquals([c2.ins, c2.p1, c2.p2, c2.ne, c2.data.length, c2.extended], [
    0xca,
    0x00,
    0x6e,
    256,
    0,
    false,
  ]);
  const c3 = parseCommandApdu(fromHex("0020008106313233343536"));
  assertEquals([c3.ne, c3.data], [0, fromHex("313233343536")]);
  const c4 = parseCommandApdu(fromHex("002A9E9A03AABBCC10"));
  assertEquals([c4.ne, c4.data], [0x10, fromHex("AABBCC")]);
});

Deno.test("parseCommandApdu() decodes extended cases 2 to 4", () => {
  const c2 = parseCommandApdu(fromHex("00CA7F21000000"));
  assertEquals([c2.ne, c2.extended], [65536, true]);
  const c3 = parseCommandApdu(fromHex("00DA005E000003414243"));
  assertEquals([c3.ne, c3.data, c3.extended], [0, fromHex("414243"), true]);
  const c4 = parseCommandApdu(fromHex("00478100000002B6000200"));
  assertEquals([c4.ne, c4.data], [0x0200, fromHex("B600")]);
});

Deno.test("parseCommandApdu() answers 6700 when the lengths do not add up", () => {
  assertEquals(swOf("00CA00"), 0x6700);
  assertEquals(swOf("0020008106313233"), 0x6700);
  assertEquals(swOf("00200081063132333435363738"), 0x6700);
  assertEquals(swOf("00CA00000000"), 0x6700);
  assertEquals(swOf("00DA005E000005414243"), 0x6700);
  assertThrows(() => parseCommandApdu(new Uint8Array(2)), StatusError);
});

Deno.test("responseBytes() appends SW1 SW2", () => {
  assertEquals(responseBytes(fromHex("AB"), 0x6283), fromHex("AB6283"));
});

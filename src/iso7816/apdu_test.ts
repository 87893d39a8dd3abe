import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import {
  type CommandApdu,
  encodeCommandApdu,
  encodeResponseApdu,
  needsExtendedLength,
  parseResponseApdu,
} from "./apdu.ts";
import { ApduLengthError, ResponseSyntaxError } from "./errors.ts";

const H = { cla: 0x00, ins: 0xca, p1: 0x00, p2: 0x6e };

const SHORT_CASES: [string, CommandApdu, string][] = [
  ["case 1", { ...H }, "00CA006E"],
  ["case 2 Le=256 as 00", { ...H, le: 256 }, "00CA006E00"],
  ["case 2 Le=max", { ...H, le: "max" }, "00CA006E00"],
  ["case 2 Le=5", { ...H, le: 5 }, "00CA006E05"],
  ["case 3", { ...H, data: fromHex("0102") }, "00CA006E020102"],
  ["case 4", { ...H, data: fromHex("0102"), le: "max" }, "00CA006E02010200"],
  ["empty data is no data", { ...H, data: new Uint8Array(0), le: 1 }, "00CA006E01"],
  [
    "SELECT OpenPGP",
    { cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: fromHex("D27600012401") },
    "00A4040C06D27600012401",
  ],
];

for (const [name, cmd, hex] of SHORT_CASES) {
  Deno.test(`encodeCommandApdu() short ${name}`, () => {
    assertEquals(toHex(encodeCommandApdu(cmd)), hex);
  });
}

const EXTENDED_CASES: [string, CommandApdu, string][] = [
  ["case 2E Le=65536 as 0000", { ...H, le: "max" }, "00CA006E000000"],
  ["case 2E Le=384", { ...H, le: 384 }, "00CA006E000180"],
  ["case 3E", { ...H, data: fromHex("AB") }, "00CA006E000001AB"],
  ["case 4E", { ...H, data: fromHex("AB"), le: 256 }, "00CA006E000001AB0100"],
];

for (const [name, cmd, hex] of EXTENDED_CASES) {
  Deno.test(`encodeCommandApdu() extended ${name}`, () => {
    assertEquals(toHex(encodeCommandApdu(cmd, { extended: true })), hex);
  });
}

Deno.test("encodeCommandApdu() extended carries 300 data bytes", () => {
  const data = new Uint8Array(300).fill(0x5a);
  const out = encodeCommandApdu({ ...H, data, le: 512 }, { extended: true });
  assertEquals(out.length, 4 + 3 + 300 + 2);
  assertEquals(toHex(out.subarray(4, 7)), "00012C");
  assertEquals(toHex(out.subarray(307)), "0200");
});

Deno.test("encodeCommandApdu() rejects what the short form cannot carry", () => {
  assertThrows(() => encodeCommandApdu({ ...H, data: new Uint8Array(256) }), ApduLengthError);
  assertThrows(() => encodeCommandApdu({ ...H, le: 257 }), ApduLengthError);
  assertThrows(() => encodeCommandApdu({ ...H, le: 0 }), ApduLengthError);
  assertThrows(() => encodeCommandApdu({ ...H, cla: 0x100 }), RangeError);
});

Deno.test("needsExtendedLength() looks at Lc and Ne", () => {
  assertEquals(needsExtendedLength({ ...H, data: new Uint8Array(255), le: 256 }), false);
  assertEquals(needsExtendedLength({ ...H, data: new Uint8Array(256) }), true);
  assertEquals(needsExtendedLength({ ...H, le: 257 }), true);
  assertEquals(needsExtendedLength({ ...H, le: "max" }), false);
});

Deno.test("parseResponseApdu() splits data and status word", () => {
  const r = parseResponseApdu(fromHex("01029000"));
  assertEquals(toHex(r.data), "0102");
  assertEquals(r.sw, 0x9000);
  assertEquals(parseResponseApdu(fromHex("6A82")).sw, 0x6a82);
  assertEquals(toHex(encodeResponseApdu(r)), "01029000");
  assertThrows(() => parseResponseApdu(fromHex("90")), ResponseSyntaxError);
});

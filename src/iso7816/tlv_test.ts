import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import {
  encodeLength,
  encodeTag,
  findTlv,
  parseTlvs,
  readTlv,
  tlv,
  TlvSyntaxError,
} from "./tlv.ts";

Deno.test("encodeLength() uses the short form below 128 and 81/82/83 above", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [0x7f, "7F"],
    [0x80, "8180"],
    [0xff, "81FF"],
    [0x100, "820100"],
    [0xffff, "82FFFF"],
    [0x10000, "83010000"],
  ];
  for (const [n, hex] of cases) assertEquals(toHex(encodeLength(n)), hex, `length ${n}`);
  assertThrows(() => encodeLength(0x1000000), RangeError);
});

Deno.test("encodeTag() writes one, two or three bytes", () => {
  assertEquals(toHex(encodeTag(0x4f)), "4F");
  assertEquals(toHex(encodeTag(0x5f2d)), "5F2D");
  assertEquals(toHex(encodeTag(0x7f21)), "7F21");
  assertEquals(toHex(encodeTag(0x7f8101)), "7F8101");
});

Deno.test("tlv() joins its values under one tag and length", () => {
  assertEquals(toHex(tlv(0x5e)), "5E00");
  assertEquals(toHex(tlv(0x5f50, fromHex("AB"), fromHex("CDEF"))), "5F5003ABCDEF");
  const long = tlv(0x7f49, new Uint8Array(300));
  assertEquals(toHex(long.subarray(0, 5)), "7F4982012C");
  assertEquals(long.length, 5 + 300);
});

Deno.test("readTlv() reads multi-byte tags, long lengths and the constructed bit", () => {
  const { tlv: t, next } = readTlv(fromHex("005F2D02656E99"), 1);
  assertEquals([t.tag, t.constructed, toHex(t.value), next], [0x5f2d, false, "656E", 6]);
  const nested = readTlv(fromHex("6E8103" + "4F0101")).tlv;
  assertEquals([nested.tag, nested.constructed, toHex(nested.value)], [0x6e, true, "4F0101"]);
  assertEquals(readTlv(fromHex("7F8101" + "01" + "AA")).tlv.tag, 0x7f8101);
  const big = readTlv(concatHex("53820100", "00".repeat(256))).tlv;
  assertEquals(big.value.length, 256);
});

Deno.test("readTlv() refuses truncated input and unsupported length bytes", () => {
  for (const hex of ["", "4F", "4F02AA", "5F", "4F8201", "7F"]) {
    assertThrows(() => readTlv(fromHex(hex)), TlvSyntaxError, `input ${hex || "(empty)"}`);
  }
  assertThrows(() => readTlv(fromHex("4F80")), TlvSyntaxError); // indefinite length
  assertThrows(() => readTlv(fromHex("4F8400000001AA")), TlvSyntaxError); // 4 length bytes
});

Deno.test("parseTlvs() reads a sequence and skips 00/FF padding between elements", () => {
  const out = parseTlvs(fromHex("00" + "4F0101" + "FFFF" + "C4020304" + "00"));
  assertEquals(out.map((t) => [t.tag, toHex(t.value)]), [[0x4f, "01"], [0xc4, "0304"]]);
  assertEquals(parseTlvs(new Uint8Array(0)), []);
});

Deno.test("findTlv() searches depth-first into constructed elements, first match wins", () => {
  // 6E { 4F 01 01, 73 { C4 01 07 }, C4 01 09 }
  const ard = fromHex("6E0B" + "4F0101" + "7303C40107" + "C40109");
  assertEquals(toHex(findTlv(ard, 0xc4)!), "07");
  assertEquals(toHex(findTlv(ard, 0x4f)!), "01");
  assertEquals(findTlv(ard, 0x5e), undefined);
  // a primitive element's value is not searched
  assertEquals(findTlv(fromHex("5E03C40101"), 0xc4), undefined);
});

function concatHex(...parts: string[]): Uint8Array {
  return fromHex(parts.join(""));
}

import assert from "node:assert/strict";
import { decodeCString, decodeMultiString, encodeCString, encodeMultiString } from "./cstring.ts";

Deno.test("encodeCString() appends one NUL", () => {
  assert.deepEqual([...encodeCString("AB")], [0x41, 0x42, 0]);
  assert.deepEqual([...encodeCString("")], [0]);
});

Deno.test("encodeCString() rejects embedded NUL", () => {
  assert.throws(() => encodeCString("a\0b"), TypeError);
});

Deno.test("decodeCString() stops at the first NUL or the end", () => {
  assert.deepEqual(decodeCString(Uint8Array.of(0x41, 0, 0x42)), "A");
  assert.deepEqual(decodeCString(Uint8Array.of(0x41, 0x42)), "AB");
  assert.deepEqual(decodeCString(new Uint8Array(0)), "");
});

Deno.test("decodeMultiString() splits reader lists", () => {
  const enc = new TextEncoder();
  assert.deepEqual(
    decodeMultiString(enc.encode("Virtual PCD 00 00\0Virtual PCD 00 01\0\0")),
    ["Virtual PCD 00 00", "Virtual PCD 00 01"],
  );
  assert.deepEqual(decodeMultiString(enc.encode("\0")), []);
  assert.deepEqual(decodeMultiString(new Uint8Array(0)), []);
  // missing final NULs (a truncated buffer) still yields the parts
  assert.deepEqual(decodeMultiString(enc.encode("A\0B")), ["A", "B"]);
  // stops at the empty string even when garbage follows
  assert.deepEqual(decodeMultiString(enc.encode("A\0\0junk\0")), ["A"]);
});

Deno.test("encodeMultiString() round-trips through decodeMultiString()", () => {
  const parts = ["Virtual PCD 00 00", "Yubico YubiKey OTP+FIDO+CCID 01 00"];
  const enc = encodeMultiString(parts);
  assert.deepEqual(enc[enc.length - 1], 0);
  assert.deepEqual(enc[enc.length - 2], 0);
  assert.deepEqual(decodeMultiString(enc), parts);
  assert.deepEqual([...encodeMultiString([])], [0]);
  assert.throws(() => encodeMultiString([""]), TypeError);
});

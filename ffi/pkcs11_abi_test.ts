import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  CKR,
  ckrName,
  decodeTokenInfo,
  encodeTemplate,
  functionOffset,
  readTemplateLengths,
} from "./pkcs11_abi.ts";

Deno.test("ckrName() names known codes and prints others in hex", () => {
  assertEquals(ckrName(CKR.CKR_PIN_INCORRECT), "CKR_PIN_INCORRECT");
  assertEquals(ckrName(0x8000_0001), "CKR_0x80000001");
});

Deno.test("functionOffset() follows pkcs11f.h order after the 8-byte version", () => {
  assertEquals(functionOffset("C_Initialize"), 8);
  assertEquals(functionOffset("C_GetFunctionList"), 8 + 3 * 8);
  assertEquals(functionOffset("C_Sign"), 8 + 43 * 8);
});

Deno.test("decodeTokenInfo() trims blank padding and reads flags and PIN lengths", () => {
  const buf = new Uint8Array(208).fill(0x20, 0, 96);
  buf.set(new TextEncoder().encode("tok"), 0);
  buf.set(new TextEncoder().encode("SoftHSM project"), 32);
  buf.set(new TextEncoder().encode("SoftHSM v2"), 64);
  buf.set(new TextEncoder().encode("0123456789abcdef"), 80);
  const view = new DataView(buf.buffer);
  view.setBigUint64(96, 0x40cn, true);
  view.setBigUint64(136, 255n, true);
  view.setBigUint64(144, 4n, true);
  assertEquals(decodeTokenInfo(buf), {
    label: "tok",
    manufacturer: "SoftHSM project",
    model: "SoftHSM v2",
    serialNumber: "0123456789abcdef",
    flags: 0x40c,
    maxPinLen: 255,
    minPinLen: 4,
  });
});

Deno.test("encodeTemplate() writes type, pointer and length; lengths read back", () => {
  const value = new Uint8Array(3);
  const t = encodeTemplate([{ type: 0x102, value }, { type: 0x3 }], () => 0x1234n);
  const view = new DataView(t.buffer);
  assertEquals(view.getBigUint64(0, true), 0x102n);
  assertEquals(view.getBigUint64(8, true), 0x1234n);
  assertEquals(view.getBigUint64(32, true), 0n); // no value: NULL pointer
  view.setBigUint64(40, 0xffff_ffff_ffff_ffffn, true); // CK_UNAVAILABLE_INFORMATION
  assertEquals(readTemplateLengths(t), [3, undefined]);
});

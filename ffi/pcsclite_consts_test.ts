import assert from "node:assert/strict";
import {
  CM_IOCTL_GET_FEATURE_REQUEST,
  eventCounter,
  MAX_BUFFER_SIZE_EXTENDED,
  returnCodeExplanation,
  returnCodeName,
  SCARD_ATTR_ATR_STRING,
  SCARD_E_NO_SERVICE,
  SCARD_RETURN_CODES,
  SCARD_W_RESET_CARD,
  toReturnCode,
} from "./pcsclite_consts.ts";

Deno.test("toReturnCode() maps sign-extended and 64-bit values to u32", () => {
  assert.deepEqual(toReturnCode(0x8010001d), 0x8010001d);
  assert.deepEqual(toReturnCode(0x8010001dn), 0x8010001d);
  assert.deepEqual(toReturnCode(-2146435043), 0x8010001d); // (int32)0x8010001D
  assert.deepEqual(toReturnCode(-2146435043n), 0x8010001d);
  assert.deepEqual(toReturnCode(0), 0);
});

Deno.test("returnCodeName() names pcsc-lite constants and hex-formats unknown ones", () => {
  assert.deepEqual(returnCodeName(SCARD_E_NO_SERVICE), "SCARD_E_NO_SERVICE");
  assert.deepEqual(returnCodeName(SCARD_W_RESET_CARD), "SCARD_W_RESET_CARD");
  assert.deepEqual(returnCodeName(0x8010001f), "SCARD_E_UNSUPPORTED_FEATURE");
  assert.deepEqual(returnCodeName(0x80100099), "0x80100099");
  assert.deepEqual(returnCodeName(0), "SCARD_S_SUCCESS");
});

Deno.test("returnCodeExplanation() says pcscd is not running for SCARD_E_NO_SERVICE", () => {
  assert.deepEqual(returnCodeExplanation(SCARD_E_NO_SERVICE), "pcscd is not running");
  assert.deepEqual(returnCodeExplanation(0x80100099), undefined);
});

Deno.test("SCARD_RETURN_CODES values are unique", () => {
  const values = Object.values(SCARD_RETURN_CODES);
  assert.deepEqual(new Set(values).size, values.length);
});

Deno.test("derived constants match pcsc-lite's macros", () => {
  assert.deepEqual(CM_IOCTL_GET_FEATURE_REQUEST, 0x42000d48);
  assert.deepEqual(SCARD_ATTR_ATR_STRING, 0x00090303);
  assert.deepEqual(MAX_BUFFER_SIZE_EXTENDED, 65548);
  assert.deepEqual(eventCounter(0x00050022), 5);
});

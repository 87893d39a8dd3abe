import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { CKF_TOKEN, type Pkcs11Module } from "../../ffi/mod.ts";
import { COUNT_LOW_NOTE, FINAL_TRY_NOTE, pinRequest } from "./login.ts";
import { Token } from "./token.ts";

const info = {
  label: "my%token",
  manufacturer: "M",
  model: "X",
  serialNumber: "42",
  flags: 0,
  minPinLen: 4,
  maxPinLen: 8,
};
// pinRequest reads only the token's info
const token = new Token({} as Pkcs11Module, 1, info);

Deno.test("pinRequest() words the prompt by the token's PIN counter flags", () => {
  const plain = pinRequest(token, "SERIAL", 0);
  assertEquals(
    plain.prompt,
    "||Please enter the PIN of the PKCS#11 token%0A%0AToken: my%25token%0ASerial: 42",
  );
  assertEquals([plain.triesLeft, plain.minLength, plain.serialNo], [undefined, 4, "SERIAL"]);

  const low = pinRequest(token, "SERIAL", CKF_TOKEN.CKF_USER_PIN_COUNT_LOW);
  assert(low.prompt.endsWith(`%0A%0A${COUNT_LOW_NOTE}`), low.prompt);
  assertEquals(low.triesLeft, undefined); // PKCS#11 gives no count

  // FINAL_TRY wins over COUNT_LOW (OpenSC sets one of them); no cached PIN may answer it
  const flags = CKF_TOKEN.CKF_USER_PIN_FINAL_TRY | CKF_TOKEN.CKF_USER_PIN_COUNT_LOW;
  const last = pinRequest(token, "SERIAL", flags);
  assert(last.prompt.endsWith(`%0A%0A${FINAL_TRY_NOTE}`), last.prompt);
  assert(!last.prompt.includes(COUNT_LOW_NOTE));
  assertEquals(last.triesLeft, 1);
});

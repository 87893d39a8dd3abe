import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { CKF_TOKEN } from "../../ffi/mod.ts";
import { chvStatus } from "./pin_admin.ts";

const F = CKF_TOKEN;

Deno.test("chvStatus() gives gpg-card's codes for the user and SO PIN flags", () => {
  const init = F.CKF_USER_PIN_INITIALIZED;
  assertEquals(chvStatus(init), "-2 -2"); // no count in PKCS#11: "-"
  assertEquals(chvStatus(init | F.CKF_USER_PIN_COUNT_LOW), "-2 -2");
  assertEquals(chvStatus(init | F.CKF_USER_PIN_FINAL_TRY), "1 -2");
  assertEquals(chvStatus(init | F.CKF_USER_PIN_LOCKED | F.CKF_USER_PIN_FINAL_TRY), "-3 -2");
  assertEquals(chvStatus(init | F.CKF_SO_PIN_FINAL_TRY), "-2 1");
  assertEquals(chvStatus(init | F.CKF_SO_PIN_LOCKED), "-2 -3");
  assertEquals(chvStatus(F.CKF_USER_PIN_LOCKED), "-2 -2"); // no user PIN set yet
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { utf8 } from "../util/bytes.ts";
import { displayName, promptInfo } from "./pin_flow.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("displayName() turns 'Surname<<Given' into 'Given Surname' like get_disp_name", () => {
  assertEquals(text(displayName(utf8("Doe<<John"))), "John Doe");
  assertEquals(text(displayName(utf8("Doe<<John<Paul"))), "John Paul Doe");
  assertEquals(text(displayName(utf8("Doe<John"))), "Doe John");
  assertEquals(text(displayName(utf8("Doe<<"))), "Doe  ");
  assertEquals(text(displayName(utf8(""))), "");
  assertEquals(text(displayName(undefined)), "");
});

Deno.test("promptInfo() builds stock's info block", () => {
  const base = { displaySerialNo: "0006 12345678", holder: utf8("John Doe") };
  assertEquals(
    text(promptInfo({ ...base, chvNo: 1, sigCount: 7, remaining: 3 })),
    "\x1eNumber\x1f: 0006 12345678%0AHolder\x1f: John Doe%0ACounter\x1f: 7",
  );
  assertEquals(
    text(promptInfo({ ...base, chvNo: 2, remaining: 2 })),
    "\x1eNumber\x1f: 0006 12345678%0AHolder\x1f: John Doe%0A%0ARemaining attempts: 2",
  );
  assertEquals(
    text(promptInfo({ ...base, chvNo: 3 })),
    "\x1eNumber\x1f: 0006 12345678%0AHolder\x1f: John Doe",
  );
});

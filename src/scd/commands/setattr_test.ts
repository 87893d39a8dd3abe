import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { secretValueStart, valueBytes } from "./setattr.ts";

const enc = new TextEncoder();

Deno.test("secretValueStart() marks the values of secret attributes, not the others", () => {
  const at = (line: string) => {
    const from = secretValueStart(enc.encode(line));
    return from === undefined ? undefined : line.slice(0, from);
  };
  assertEquals(at("AESKEY 00112233"), "AESKEY ");
  assertEquals(at("SM-KEY-ENC  00112233"), "SM-KEY-ENC  ");
  assertEquals(at("SM-KEY-MAC 00112233"), "SM-KEY-MAC ");
  assertEquals(at("PRIVATE-DO-3 note"), "PRIVATE-DO-3 ");
  assertEquals(at("PRIVATE-DO-4 note"), "PRIVATE-DO-4 ");
  // PRIVATE-DO-1/2 are readable without a PIN; the inquire form has no inline value
  assertEquals(at("PRIVATE-DO-1 note"), undefined);
  assertEquals(at("DISP-NAME Doe<<John"), undefined);
  assertEquals(at("--inquire AESKEY"), undefined);
});

Deno.test("valueBytes() skips options and the name", () => {
  assertEquals(new TextDecoder().decode(valueBytes(enc.encode("--x LOGIN-DATA  a b"))), "a b");
});

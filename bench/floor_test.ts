import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { floorApdus, floorMs } from "./floor.ts";

Deno.test("floorMs() charges stock the PSO and scd-ts strict its six APDUs", () => {
  assertEquals(floorMs("openpgp34", "stock", "warm-sign"), 150);
  assertEquals(floorMs("openpgp34", "scd-ts", "now-and-then"), 5 * 10 + 150);
  assertEquals(floorMs("nitrokey3", "stock", "now-and-then"), 500);
  // nitrokey3: SELECT 373 ms and GET DATA 127 ms (docs/cards.md), VERIFY 800, PSO 500, 15 else
  assertEquals(floorMs("nitrokey3", "scd-ts", "warm-sign"), 373 + 127 + 800 + 500 + 2 * 15);
  assertEquals(floorMs("none", "scd-ts", "decrypt"), 0);
});

Deno.test("floorMs() is null for the cold cases", () => {
  assertEquals(floorMs("openpgp34", "scd-ts", "cold-sign"), null);
  assertEquals(floorApdus("stock", "cold-card-status"), []);
});

Deno.test("floorApdus() lists the strict sequence in order", () => {
  assertEquals(floorApdus("scd-ts", "ssh-auth").map((a) => a.label), [
    "SELECT",
    "GET DATA 4F",
    "VERIFY",
    "INTERNAL AUTHENTICATE",
    "VERIFY FF",
    "VERIFY status",
  ]);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { matchReaders } from "./reader_match.ts";

const BED = ["Virtual PCD 00 00", "Virtual PCD 00 01"];

Deno.test("matchReaders() takes an exact name first, then an index, then a substring", () => {
  assertEquals(matchReaders(BED, undefined), BED);
  assertEquals(matchReaders(BED, ""), BED);
  assertEquals(matchReaders(BED, "Virtual PCD 00 01"), ["Virtual PCD 00 01"]);
  assertEquals(matchReaders(BED, "1"), ["Virtual PCD 00 01"]);
  assertEquals(matchReaders(BED, "7"), []);
  assertEquals(matchReaders(BED, "PCD 00"), BED);
  assertEquals(matchReaders(["A 00", "A 00 extra"], "A 00"), ["A 00"]);
  assertEquals(matchReaders(["Reader 10"], "10"), []); // digits are an index, never a substring
});

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { p50p95, percentile, perOperation, round } from "./stats.ts";

Deno.test("percentile() interpolates between the closest ranks", () => {
  assertEquals(percentile([5], 50), 5);
  assertEquals(percentile([1, 2, 3, 4], 50), 2.5);
  assertEquals(percentile([4, 1, 3, 2], 0), 1);
  assertEquals(percentile([4, 1, 3, 2], 100), 4);
  assertEquals(round(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 95), 6), 95.5);
  assert(Number.isNaN(percentile([], 50)));
});

Deno.test("p50p95() rounds to a tenth", () => {
  assertEquals(p50p95([1.04, 2.06, 3.01]), { p50: 2.1, p95: 2.9 });
});

Deno.test("round() and perOperation()", () => {
  assertEquals(round(1.25, 0), 1);
  assertEquals(round(2.345, 2), 2.35);
  assertEquals(perOperation({ A4: 20, "2A": 10 }, 10), { A4: 2, "2A": 1 });
  assertEquals(perOperation({ A4: 3 }, 0), { A4: 3 });
});

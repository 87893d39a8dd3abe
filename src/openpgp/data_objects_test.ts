import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { dataObjectByTag, type DataObjectSpec, DO } from "./data_objects.ts";

Deno.test("DO tags are unique (gnupg's positional table once listed 0x00DA twice)", () => {
  const tags = (Object.values(DO) as DataObjectSpec[]).map((d) => d.tag);
  assertEquals(new Set(tags).size, tags.length);
});

Deno.test("DO parents are constructed DOs of the table", () => {
  for (const d of Object.values(DO) as DataObjectSpec[]) {
    if (d.parent === undefined) continue;
    assertEquals(dataObjectByTag(d.parent)?.constructed, true, d.description);
  }
});

Deno.test("DO marks PIN tries and the signature counter as never cached", () => {
  assertEquals(DO.pwStatus.cache, "model");
  assertEquals(DO.signatureCounter.cache, "model");
  assertEquals(dataObjectByTag(0x5f50)?.description, "URL");
});

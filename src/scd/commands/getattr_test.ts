import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { MemoryTrace } from "../../assuan/mod.ts";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";

Deno.test("GETATTR PRIVATE-DO-3/4 answer the client but are traced as redacted", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"));
  const trace = new MemoryTrace();
  const { client } = await h.connect({ trace });
  // FakeApp answers every name with "value with space"
  for (const name of ["PRIVATE-DO-3", "PRIVATE-DO-4", "PRIVATE-DO-1"]) {
    assertEquals(await client.transact(`GETATTR ${name}`), [
      `S ${name} value+with+space`,
      "OK",
    ]);
  }
  await client.close();
  assertEquals(trace.lines.filter((l) => l.startsWith("->")), [
    "-> OK GNU Privacy Guard's Smartcard server ready",
    "-> [redacted 31 bytes]",
    "-> OK",
    "-> [redacted 31 bytes]",
    "-> OK",
    "-> S PRIVATE-DO-1 value+with+space",
    "-> OK",
  ]);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../_testing.ts";
import { parseCount } from "../command.ts";

Deno.test("parseCount() reads numbers like strtoul(s, NULL, 0)", () => {
  assertEquals([parseCount("16"), parseCount("0x10"), parseCount("020"), parseCount("x")], [
    16,
    16,
    16,
    0,
  ]);
});

Deno.test("RANDOM returns the application's random bytes; no count is stock's error", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"));
  const { client } = await h.connect();
  assertEquals(await client.transact("RANDOM"), [
    "ERR 100663576 IPC parameter error <SCD> - number of requested bytes missing",
  ]);
  assertEquals(await client.transact("RANDOM 4"), ["D %25%25%25%25", "OK"]);
  assertEquals(h.apps[0]!.calls, ["random 4"]);
  await client.close();
});

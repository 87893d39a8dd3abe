import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";
import { parseCount } from "../command.ts";
import { MAX_RANDOM } from "./random.ts";

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

Deno.test("RANDOM refuses counts above MAX_RANDOM before any GET CHALLENGE", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"));
  const { client } = await h.connect();
  for (const count of ["4294967296", "99999999999999999999999", `${MAX_RANDOM + 1}`]) {
    assertEquals(await client.transact(`RANDOM ${count}`), [
      `ERR 100663363 Provided object is too large <SCD> - at most ${MAX_RANDOM} bytes`,
    ]);
  }
  assertEquals(h.apps[0]!.calls, []);
  await client.close();
});

Deno.test("RANDOM 0 (or no number) is EINVAL, a negative count ENOMEM, after the card check as stock", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"));
  const { client } = await h.connect();
  for (const count of ["0", "abc", "-0"]) {
    assertEquals(await client.transact(`RANDOM ${count}`), [
      "ERR 100696112 Invalid argument <SCD>",
    ]);
  }
  assertEquals(await client.transact("RANDOM -5"), ["ERR 100696150 Cannot allocate memory <SCD>"]);
  assertEquals(h.apps[0]!.calls, []);
  await client.close();
});

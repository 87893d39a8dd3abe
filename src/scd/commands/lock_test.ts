import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";

Deno.test("LOCK and UNLOCK give one session the card; others get Locked", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"));
  const a = await h.connect();
  const b = await h.connect();
  assertEquals(await a.client.transact("UNLOCK"), ["ERR 100663463 Not locked <SCD>"]);
  assertEquals(await a.client.transact("LOCK"), ["OK"]);
  assertEquals(await a.client.transact("LOCK"), ["OK"]); // again: fine, no counter
  assertEquals(await b.client.transact("LOCK"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(await b.client.transact("UNLOCK"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(await b.client.transact("RANDOM 1"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(await a.client.transact("UNLOCK"), ["OK"]);
  assertEquals(await b.client.transact("RANDOM 1"), ["D %25", "OK"]);
  await a.client.close();
  await b.client.close();
});

Deno.test("LOCK --wait waits for the holder, sending PROGRESS every second", async () => {
  const h = new Harness();
  const a = await h.connect();
  const b = await h.connect();
  await a.client.transact("LOCK");
  await b.client.send("LOCK --wait");
  assertEquals(await b.client.line(), "S PROGRESS scd_locked . 0 0");
  await a.client.transact("RESTART"); // releases the lock
  assertEquals((await b.client.reply()).at(-1), "OK");
  assertEquals(await a.client.transact("LOCK"), ["ERR 100663469 Locked <SCD>"]);
  await a.client.close();
  await b.client.close();
});

Deno.test("RESET releases the lock unless --keep-lock; the end of a session always does", async () => {
  const h = new Harness();
  const a = await h.connect();
  const b = await h.connect();
  await a.client.transact("LOCK");
  assertEquals(await a.client.transact("RESET --keep-lock"), ["OK"]);
  assertEquals(await b.client.transact("LOCK"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(await a.client.transact("RESET"), ["OK"]);
  assertEquals(await b.client.transact("LOCK"), ["OK"]);
  await b.client.close();
  await b.end;
  assertEquals(await a.client.transact("LOCK"), ["OK"]);
  await a.client.close();
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../tests/support/scd_harness.ts";

Deno.test("OPTION event-signal: card changes signal each client once; bad values are errors", async () => {
  const h = new Harness();
  await h.watch();
  h.insert("R", aid("00000001"));
  const a = await h.connect({ peerPid: 111 });
  const b = await h.connect({ peerPid: 111 });
  const c = await h.connect({ peerPid: 222 });
  // stock: no value is a parameter error (§1.6 [observed]); "=" with nothing is libassuan's
  assertEquals(await a.client.transact("OPTION event-signal"), [
    "ERR 100663576 IPC parameter error <SCD>",
  ]);
  assertEquals(await a.client.transact("OPTION event-signal=12"), ["OK"]);
  assertEquals(await b.client.transact("OPTION event-signal=12"), ["OK"]);
  assertEquals(await c.client.transact("OPTION --event-signal=10"), ["OK"]);
  assertEquals(await c.client.transact("OPTION foo=bar"), ["OK"]);
  h.backend.emit({ type: "card-removed", reader: "R" });
  assertEquals(h.signals, ["111/SIGUSR2", "222/SIGUSR1"]);
  assertEquals(await c.client.transact("OPTION event-signal=0"), ["OK"]);
  h.backend.emit({ type: "card-inserted", reader: "R", atr: new Uint8Array(2) });
  assertEquals(h.signals.slice(2), ["111/SIGUSR2"]);
  for (const s of [a, b, c]) await s.client.close();
  await h.close();
});

Deno.test("A card removal marks the sessions bound to it removed, not the others", async () => {
  const h = new Harness();
  await h.watch();
  h.insert("R0", aid("00000001"));
  h.insert("R1", aid("00000002"));
  const a = await h.connect();
  const b = await h.connect();
  await a.client.transact(`SERIALNO --demand=${aid("00000001")}`);
  await b.client.transact(`SERIALNO --demand=${aid("00000002")}`);
  h.backend.cards.delete("R0");
  h.backend.emit({ type: "card-removed", reader: "R0" });
  assertEquals(await a.client.transact("RANDOM 1"), ["ERR 100663406 Card removed <SCD>"]);
  assertEquals(await b.client.transact("RANDOM 1"), ["D %25", "OK"]);
  assertEquals(await a.client.transact("SERIALNO"), [`S SERIALNO ${aid("00000002")}`, "OK"]);
  for (const s of [a, b]) await s.client.close();
  await h.close();
});

Deno.test("RESET makes the card be opened afresh and unbinds the session", async () => {
  const h = new Harness();
  await h.watch();
  h.insert("R", aid("00000001"));
  const { client } = await h.connect();
  await client.transact("SERIALNO");
  assertEquals(await client.transact("RESET"), ["OK"]);
  assertEquals(h.apps[0]!.invalidated, 1);
  assertEquals(await client.transact("DISCONNECT"), ["ERR 100663420 Unsupported operation <SCD>"]);
  await client.transact("SERIALNO");
  assertEquals(h.apps.length, 2);
  await client.close();
  await h.close();
});

Deno.test("HELP lists the commands in stock order with their syntax lines", async () => {
  const { client } = await new Harness().connect();
  const lines = await client.transact("HELP");
  assertEquals(lines.slice(8, 12), [
    "# SERIALNO [--demand=<serialno>] [--all] [<apptype>]",
    "# SWITCHCARD [<serialno>]",
    "# SWITCHAPP [<appname>]",
    "# LEARN [--force] [--keypairinfo] [--reread] [--multi]",
  ]);
  assertEquals(lines.at(-1), "OK");
  await client.close();
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";

Deno.test("SERIALNO reports the AID of the first card and binds the session", async () => {
  const h = new Harness();
  h.insert("Reader A", aid("00000001"));
  const { client } = await h.connect();
  assertEquals(await client.transact("SERIALNO"), [`S SERIALNO ${aid("00000001")}`, "OK"]);
  assertEquals(await client.transact("GETINFO active_apps"), [
    `S SERIALNO ${aid("00000001")} openpgp`,
    "OK",
  ]);
  await client.close();
});

Deno.test("SERIALNO without a card fails ENODEV and LEARN says Card removed until a good SERIALNO", async () => {
  const h = new Harness();
  h.backend.readers.push("Reader A");
  const { client } = await h.connect();
  assertEquals(await client.transact("SERIALNO"), ["ERR 100696144 No such device <SCD>"]);
  assertEquals(await client.transact("LEARN --force"), ["ERR 100663406 Card removed <SCD>"]);
  h.insert("Reader A", aid("00000002"));
  assertEquals(await client.transact("LEARN --force"), ["ERR 100663406 Card removed <SCD>"]);
  assertEquals(await client.transact("SERIALNO"), [`S SERIALNO ${aid("00000002")}`, "OK"]);
  assertEquals((await client.transact("LEARN --force")).at(-1), "OK");
  await client.close();
});

Deno.test("SERIALNO without any reader is ENODEV (also when an application is named)", async () => {
  const h = new Harness();
  const { client } = await h.connect();
  assertEquals(await client.transact("SERIALNO"), ["ERR 100696144 No such device <SCD>"]);
  assertEquals(await client.transact("SERIALNO piv"), ["ERR 100696144 No such device <SCD>"]);
  await client.close();
});

Deno.test("SERIALNO --demand= selects the card with that serial", async () => {
  const h = new Harness();
  h.insert("Reader A", aid("0000000A"));
  h.insert("Reader B", aid("0000000B"));
  const { client } = await h.connect();
  assertEquals(await client.transact(`SERIALNO --demand=${aid("0000000b").toLowerCase()}`), [
    `S SERIALNO ${aid("0000000B")}`,
    "OK",
  ]);
  assertEquals(await client.transact(`SERIALNO --demand=${aid("0000000C")}`), [
    "ERR 100696144 No such device <SCD>",
  ]);
  assertEquals(await client.transact("SERIALNO --demand"), [
    "ERR 100663576 IPC parameter error <SCD> - missing value for option",
  ]);
  await client.close();
});

Deno.test("SERIALNO takes --all, the openpgp and undefined apptypes, and refuses others", async () => {
  const h = new Harness();
  h.insert("Reader A", aid("00000003"));
  const { client } = await h.connect();
  assertEquals(await client.transact("SERIALNO --all"), [`S SERIALNO ${aid("00000003")}`, "OK"]);
  assertEquals(await client.transact("SERIALNO openpgp"), [`S SERIALNO ${aid("00000003")}`, "OK"]);
  // stock 2.2.40 and 2.4.7: CONFLICT; the session keeps its card but reads it as removed
  assertEquals(await client.transact("SERIALNO piv"), ["ERR 100663366 Conflicting use <SCD>"]);
  assertEquals(await client.transact("GETINFO active_apps"), [
    `S SERIALNO ${aid("00000003")} openpgp`,
    "OK",
  ]);
  assertEquals(await client.transact("LEARN --force"), ["ERR 100663406 Card removed <SCD>"]);
  // The same insertion (reader states say so, monitor or not): the known card stays, as stock
  // keeps its card; "undefined" only opens a card without an application on a new insertion.
  assertEquals(await client.transact("SERIALNO undefined"), [
    `S SERIALNO ${aid("00000003")}`,
    "OK",
  ]);
  h.insert("Reader A", aid("00000003")); // re-inserted
  assertEquals(await client.transact("SERIALNO undefined"), ["S SERIALNO FF7F00", "OK"]);
  assertEquals(await client.transact("LEARN --force"), [
    "ERR 100663420 Unsupported operation <SCD>",
  ]);
  await client.close();
});

Deno.test("SERIALNO is refused while another session holds the lock", async () => {
  const h = new Harness();
  h.insert("Reader A", aid("00000004"));
  const a = await h.connect();
  const b = await h.connect();
  assertEquals(await a.client.transact("LOCK"), ["OK"]);
  assertEquals(await b.client.transact("SERIALNO"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(await a.client.transact("SERIALNO"), [`S SERIALNO ${aid("00000004")}`, "OK"]);
  await a.client.close();
  await a.end;
  assertEquals(await b.client.transact("SERIALNO"), [`S SERIALNO ${aid("00000004")}`, "OK"]);
  await b.client.close();
});

Deno.test("SERIALNO reuses the opened card while the monitor runs, and reopens after a change", async () => {
  const h = new Harness();
  await h.watch();
  h.insert("Reader A", aid("00000005"));
  const { client } = await h.connect();
  await client.transact("SERIALNO");
  await client.transact("SERIALNO");
  assertEquals(h.apps.length, 1);
  h.insert("Reader A", aid("00000006"));
  h.backend.emit({ type: "card-removed", reader: "Reader A" });
  h.backend.emit({ type: "card-inserted", reader: "Reader A", atr: new Uint8Array(2) });
  assertEquals(h.apps[0]!.invalidated, 1);
  assertEquals(await client.transact("LEARN --force"), ["ERR 100663406 Card removed <SCD>"]);
  assertEquals(await client.transact("SERIALNO"), [`S SERIALNO ${aid("00000006")}`, "OK"]);
  assertEquals(h.apps.length, 2);
  await client.close();
  await h.close();
});

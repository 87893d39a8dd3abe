import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";

const KEY = {
  keygrip: "A".repeat(40),
  keyRef: "OPENPGP.1",
  usage: "sc",
  created: 0,
  algo: "ed25519",
} as const;

Deno.test("LEARN --force sends READER and SERIALNO, then the application's lines", async () => {
  const h = new Harness();
  h.insert("Virtual PCD 00 00", aid("00000001"));
  const { client } = await h.connect();
  assertEquals(await client.transact("LEARN --force"), [
    "S READER Virtual PCD 00 00",
    `S SERIALNO ${aid("00000001")}`,
    "S APPTYPE openpgp",
    "OK",
  ]);
  await client.close();
});

Deno.test("LEARN without --force asks INQUIRE KNOWNCARDP; END goes on, CAN stops", async () => {
  const h = new Harness();
  h.insert("R", aid("00000002"));
  const { client } = await h.connect();
  assertEquals(await client.transact("LEARN"), [
    "S READER R",
    `S SERIALNO ${aid("00000002")}`,
    `INQUIRE KNOWNCARDP ${aid("00000002")}`,
  ]);
  assertEquals(await client.transact("END"), ["S APPTYPE openpgp", "OK"]);
  await client.transact("LEARN");
  assertEquals(await client.transact("CAN"), ["ERR 100663573 IPC call has been cancelled <SCD>"]);
  assertEquals(h.apps[0]!.calls, ["learn all"]);
  await client.close();
});

Deno.test("LEARN --keypairinfo sends only the KEYPAIRINFO lines", async () => {
  const h = new Harness();
  h.insert("R", aid("00000003"));
  const { client } = await h.connect();
  await client.transact("SERIALNO");
  h.apps[0]!.keys = [KEY];
  assertEquals(await client.transact("LEARN --keypairinfo"), [
    `S KEYPAIRINFO ${"A".repeat(40)} OPENPGP.1 sc`,
    "OK",
  ]);
  await client.close();
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../_testing.ts";

Deno.test("SWITCHAPP openpgp answers as stock 2.4.7 does: the serial with its app", async () => {
  const h = new Harness();
  h.insert("Reader A", aid("00000001"));
  const { client } = await h.connect();
  // gpg 2.4's card-edit sends exactly this before OpenPGP operations
  assertEquals(await client.transact("SWITCHAPP -- openpgp"), [
    `S SERIALNO ${aid("00000001")} openpgp`,
    "OK",
  ]);
  assertEquals(await client.transact("SWITCHAPP"), [`S SERIALNO ${aid("00000001")} openpgp`, "OK"]);
  assertEquals(await client.transact("SWITCHAPP piv"), ["ERR 100663323 Not found <SCD>"]);
  await client.close();
});

Deno.test("SWITCHAPP without a card fails like the other card commands", async () => {
  const h = new Harness();
  const { client } = await h.connect();
  assertEquals(await client.transact("SWITCHAPP openpgp"), ["ERR 100696144 No such device <SCD>"]);
  await client.close();
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";

Deno.test("GETINFO version, pid, connections and socket_name", async () => {
  const h = new Harness({ env: { SCD_TS_COMPAT_VERSION: "2.4.7" } });
  const a = await h.connect();
  const b = await h.connect();
  assertEquals(await a.client.transact("GETINFO version"), ["D 2.4.7", "OK"]);
  assertEquals(await a.client.transact("GETINFO pid"), ["D 4242", "OK"]);
  assertEquals(await a.client.transact("GETINFO connections"), ["D 2", "OK"]);
  assertEquals(await a.client.transact("GETINFO socket_name"), ["ERR 100663354 No data <SCD>"]);
  h.server.socketName = "/run/user/1000/gnupg/S.scdaemon";
  assertEquals(await b.client.transact("GETINFO socket_name"), [
    "D /run/user/1000/gnupg/S.scdaemon",
    "OK",
  ]);
  await a.client.close();
  await b.client.close();
});

Deno.test("GETINFO status, reader_list, card_list, app_list", async () => {
  const h = new Harness();
  const { client } = await h.connect();
  assertEquals(await client.transact("GETINFO reader_list"), ["ERR 100663354 No data <SCD>"]);
  assertEquals(await client.transact("GETINFO status"), ["D r", "OK"]);
  h.insert("Virtual PCD 00 00", aid("00000001"));
  h.backend.readers.push("Virtual PCD 00 01");
  assertEquals(await client.transact("GETINFO reader_list"), [
    "D Virtual PCD 00 00%0A",
    "D Virtual PCD 00 01%0A",
    "OK",
  ]);
  assertEquals(await client.transact("GETINFO status"), ["D u", "OK"]);
  assertEquals(await client.transact("GETINFO card_list"), [`S SERIALNO ${aid("00000001")}`, "OK"]);
  assertEquals(await client.transact("GETINFO app_list"), ["D openpgp:%0A", "OK"]);
  assertEquals(await client.transact("GETINFO all_active_apps"), [
    `S SERIALNO ${aid("00000001")} openpgp`,
    "OK",
  ]);
  await client.close();
});

Deno.test("GETINFO deny_admin follows the deny-admin setting", async () => {
  const allow = await new Harness().connect();
  assertEquals(await allow.client.transact("GETINFO deny_admin"), [
    "ERR 100663297 General error <SCD>",
  ]);
  await allow.client.close();
  const deny = await new Harness({ env: { SCD_TS_DENY_ADMIN: "yes" } }).connect();
  assertEquals(await deny.client.transact("GETINFO deny_admin"), ["OK"]);
  await deny.client.close();
});

Deno.test("GETINFO cmd_has_option knows SERIALNO --all; unknown WHAT is stock's error", async () => {
  const { client } = await new Harness().connect();
  assertEquals(await client.transact("GETINFO cmd_has_option SERIALNO all"), ["OK"]);
  assertEquals(await client.transact("GETINFO cmd_has_option LEARN force"), [
    "ERR 100663552 False <SCD>",
  ]);
  assertEquals(await client.transact("GETINFO cmd_has_option SERIALNO"), [
    "ERR 100663424 Missing value <SCD>",
  ]);
  assertEquals(await client.transact("GETINFO manufacturer 6"), ["D Yubico", "OK"]);
  assertEquals(await client.transact("GETINFO manufacturer 0xF1D0"), ["D CanoKeys", "OK"]);
  for (const what of ["foo", "version ", ""]) {
    assertEquals(await client.transact(`GETINFO ${what}`), [
      "ERR 100663576 IPC parameter error <SCD> - unknown value for WHAT",
    ]);
  }
  await client.close();
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { aid, Harness } from "../../../tests/support/scd_harness.ts";

Deno.test("RESTART unbinds the session; the next command picks the card again", async () => {
  const h = new Harness();
  h.insert("R", aid("00000001"));
  const { client } = await h.connect();
  await client.transact("SERIALNO");
  assertEquals(await client.transact("RESTART"), ["OK"]);
  assertEquals(await client.transact("DISCONNECT"), ["ERR 100663420 Unsupported operation <SCD>"]);
  assertEquals((await client.transact("LEARN --force"))[0], "S READER R");
  assertEquals(await client.transact("DISCONNECT"), ["OK"]);
  await client.close();
});

Deno.test("KILLSCD closes the session and asks the daemon to stop", async () => {
  const h = new Harness();
  let killed = 0;
  h.server.onKill = () => killed++;
  const { client, end } = await h.connect();
  assertEquals(await client.transact("KILLSCD"), ["OK closing connection"]);
  assertEquals((await end).reason, "force-close");
  assertEquals(killed, 1);
});

Deno.test("GETATTR answers CARDTYPE/APPTYPE/SERIALNO itself and asks the app for the rest", async () => {
  const h = new Harness();
  h.insert("R", aid("00000002"));
  const { client } = await h.connect();
  assertEquals(await client.transact("GETATTR SERIALNO"), [`S SERIALNO ${aid("00000002")}`, "OK"]);
  assertEquals(await client.transact("GETATTR APPTYPE"), ["S APPTYPE openpgp", "OK"]);
  assertEquals(await client.transact("GETATTR DISP-NAME"), ["S DISP-NAME value+with+space", "OK"]);
  assertEquals(h.apps[0]!.calls, ["getAttr DISP-NAME"]);
  await client.close();
});

Deno.test("GETATTR CARDTYPE and DEVINFO name the card type the app recognised, else generic", async () => {
  const h = new Harness();
  h.insert("R", aid("00000004"));
  const { client } = await h.connect();
  assertEquals(await client.transact("GETATTR CARDTYPE"), ["S CARDTYPE generic", "OK"]);
  h.apps[0]!.cardType = "yubikey";
  assertEquals(await client.transact("GETATTR CARDTYPE"), ["S CARDTYPE yubikey", "OK"]);
  assertEquals(await client.transact("DEVINFO"), [
    "S DEVINFO_START",
    `S DEVICE yubikey ${aid("00000004")} openpgp`,
    "S DEVINFO_END",
    "OK",
  ]);
  await client.close();
});

Deno.test("READKEY returns the app's S-expression; --info-only sends no data; errors map", async () => {
  const h = new Harness();
  h.insert("R", aid("00000003"));
  const { client } = await h.connect();
  await client.transact("SERIALNO");
  h.apps[0]!.keys = [{
    keygrip: "B".repeat(40),
    keyRef: "OPENPGP.2",
    usage: "e",
    created: 0,
    algo: "cv25519",
  }];
  assertEquals(await client.transact("READKEY OPENPGP.2"), ["D (10:public-key(3:ecc))", "OK"]);
  assertEquals(await client.transact("READKEY --info-only -- OPENPGP.2"), ["OK"]);
  assertEquals(await client.transact("READKEY --advanced OPENPGP.2"), [
    "D (public-key %0A (ecc)%0A )%0A",
    "OK",
  ]);
  assertEquals(await client.transact("READKEY OPENPGP.1"), [
    "ERR 100663364 Missing item in object <SCD>",
  ]);
  await client.close();
});

Deno.test("KEYINFO finds keys of known cards by grip and lists them by usage", async () => {
  const h = new Harness();
  h.insert("R", aid("00000004"));
  const { client } = await h.connect();
  assertEquals(await client.transact(`KEYINFO ${"C".repeat(40)}`), [
    "ERR 100663323 Not found <SCD>",
  ]);
  await client.transact("SERIALNO --all");
  h.apps[0]!.keys = [
    { keygrip: "C".repeat(40), keyRef: "OPENPGP.1", usage: "sc", created: 0, algo: "ed25519" },
    { keygrip: "D".repeat(40), keyRef: "OPENPGP.3", usage: "sa", created: 0, algo: "ed25519" },
  ];
  const sn = aid("00000004");
  assertEquals(await client.transact(`KEYINFO ${"d".repeat(40)}`), [
    `S KEYINFO ${"D".repeat(40)} T ${sn} OPENPGP.3 sa`,
    "OK",
  ]);
  assertEquals(await client.transact("KEYINFO --list=auth"), [
    `S KEYINFO ${"D".repeat(40)} T ${sn} OPENPGP.3 sa`,
    "OK",
  ]);
  assertEquals((await client.transact("KEYINFO --list")).length, 3);
  assertEquals(await client.transact(`KEYINFO --data ${"C".repeat(40)}`), [
    `D ${"C".repeat(40)} T ${sn} OPENPGP.1 sc%0A`,
    "OK",
  ]);
  await client.close();
});

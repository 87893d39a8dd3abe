/**
 * The scd layer over the real OpenPGP application and the in-process virtual card: the
 * command sequences gpg-agent sends for `gpg --card-status` (2.2 and 2.4 traces of stock
 * scdaemon, scdaemon-protocol.md §10), compared with what stock answered for the same card.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { ScdFixture } from "./_scd_fixture.ts";

const AID = "D276000124010304FFFE5C0000010000";
const READER = "Virtual OpenPGP Card (in-process)";

// Stock 2.4.7's LEARN --force for this fresh card (scdaemon.log of the e2e bed), minus READER.
const STOCK_24_LEARN = [
  `S SERIALNO ${AID}`,
  "S APPTYPE openpgp",
  "S APPVERSION 304",
  "S EXTCAP gc=1+ki=1+fc=1+pd=1+mcl3=2048+aac=1+sm=0+si=5+dec=0+bt=1+kdf=1",
  "S MANUFACTURER 65534 unmanaged S/N range",
  "S DISP-NAME",
  "S DISP-LANG",
  "S DISP-SEX",
  "S CHV-STATUS +1+127+127+127+3+0+3",
  "S SIG-COUNTER 0",
  "S KDF \uFFFD%01%00", // the raw 0x81 byte, as the test client decodes it (UTF-8)
  "S UIF-1 %00+",
  "S UIF-2 %00+",
  "S UIF-3 %00+",
  "OK",
];

Deno.test("scd: gpg-agent's card-status sequence on a fresh card answers like stock 2.4", async () => {
  const f = await ScdFixture.open({ serial: 0x5c000001 });
  const agent = await f.connect({ pipe: true, peerPid: 1 });
  assertEquals(await agent.transact("GETINFO socket_name"), ["ERR 100663354 No data <SCD>"]);
  assertEquals(await agent.transact("OPTION event-signal=12"), ["OK"]);
  assertEquals(await agent.transact("SERIALNO"), [`S SERIALNO ${AID}`, "OK"]);
  assertEquals(await agent.transact("RESTART"), ["OK"]);
  assertMatch((await agent.transact("GETINFO version"))[0]!, /^D 2\.4\.\d+$/);
  assertEquals(await agent.transact("SERIALNO"), [`S SERIALNO ${AID}`, "OK"]);
  assertEquals(await agent.transact("LEARN --force"), [`S READER ${READER}`, ...STOCK_24_LEARN]);
  assertEquals(await agent.transact("GETATTR KEY-ATTR"), [
    "S KEY-ATTR 1 1 rsa2048 32 1",
    "S KEY-ATTR 2 1 rsa2048 32 1",
    "S KEY-ATTR 3 1 rsa2048 32 1",
    "OK",
  ]);
  // gpg 2.2's card-status then looks for each key (stock: all three are absent).
  assertEquals(await agent.transact("GETATTR $SIGNKEYID"), ["S $SIGNKEYID OPENPGP.1", "OK"]);
  assertMatch((await agent.transact("READKEY OPENPGP.1"))[0]!, /^ERR /);
  assertEquals(await agent.transact("RESTART"), ["OK"]);
  await agent.close();
  await f.close();
});

Deno.test("scd: a second connection (the agent's socket) works beside the pipe and counts", async () => {
  const f = await ScdFixture.open({ serial: 0x5c000001 });
  const pipe = await f.connect({ pipe: true });
  const socket = await f.connect();
  assertEquals(await socket.transact("GETINFO connections"), ["D 2", "OK"]);
  assertEquals(await pipe.transact("SERIALNO"), [`S SERIALNO ${AID}`, "OK"]);
  // --keypairinfo: no READER/SERIALNO from the command layer (stock 2.4's app ignores the flag)
  const learned = await socket.transact("LEARN --force --keypairinfo");
  assertEquals([learned[0]!.startsWith("S READER"), learned.at(-1)], [false, "OK"]);
  assertEquals(await socket.transact("GETINFO card_list"), [`S SERIALNO ${AID}`, "OK"]);
  await socket.close();
  assertEquals(await pipe.transact("GETINFO connections"), ["D 1", "OK"]);
  await pipe.close();
  await f.close();
});

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import { findTlv } from "../iso7816/tlv.ts";
import {
  getData,
  openSelected,
  putData,
  PW1,
  PW3,
  SELECT_OPENPGP,
  send,
  sendAll,
  verifyPin,
} from "../../tests/support/virtual_apdu.ts";
import { VirtualCard } from "./card.ts";
import { NITROKEY3, OPENPGP34 } from "./latency.ts";
import { STATE_FORMAT } from "./store.ts";

Deno.test("VirtualCard ATR is T=1 with the historical bytes of 5F52 and a valid TCK", async () => {
  const card = await openSelected();
  const atr = card.atr;
  assertEquals(toHex(atr.subarray(0, 4)), "3B8A8001");
  assertEquals(atr.subarray(4, 14), (await getData(card, 0x5f52)).data);
  assertEquals(atr.subarray(1).reduce((x, b) => x ^ b, 0), 0);
  // Card capabilities: command chaining and extended Lc/Le.
  assertEquals(atr[10]! & 0xc0, 0xc0);
});

Deno.test("VirtualCard keeps keys, counters and DOs in the state file across re-opening", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vcard-test-" });
  try {
    const statePath = `${dir}/card.json`;
    const card = await openSelected({ statePath, serial: 0xcafe0001 });
    await verifyPin(card, 0x83, PW3);
    await putData(card, 0x5b, utf8("Doe<<Jane"));
    await putData(card, 0xc1, fromHex("162B06010401DA470F01"));
    const pub = (await sendAll(card, "00478000 02 B600 00")).data;
    assertEquals(await verifyPin(card, 0x81, "000000"), 0x63c2);
    const state = JSON.parse(await Deno.readTextFile(statePath));
    assertEquals(state.format, STATE_FORMAT);

    const again = await openSelected({ statePath });
    assertEquals(again.serial, 0xcafe0001);
    assertEquals(toHex((await getData(again, 0x4f)).data).slice(20, 28), "CAFE0001");
    assertEquals(findTlv((await getData(again, 0x65)).data, 0x5b), utf8("Doe<<Jane"));
    assertEquals(Array.from((await getData(again, 0xc4)).data.subarray(4)), [2, 0, 3]);
    assertEquals((await sendAll(again, "00478100 02 B600 00")).data, pub);
    // Security status is not persisted.
    assertEquals((await send(again, "0020008300")).sw, 0x63c3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VirtualCard.open() refuses a state file it cannot read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vcard-test-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.json`, "{ not json", { mode: 0o600 });
    await assertRejects(
      async () => await VirtualCard.open({ statePath: `${dir}/bad.json` }),
      /not JSON/,
    );
    await Deno.writeTextFile(`${dir}/other.json`, '{"format":"something else"}', {
      mode: 0o600,
    });
    await assertRejects(
      async () => await VirtualCard.open({ statePath: `${dir}/other.json` }),
      /unknown format/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("VirtualCard.injectStatus() answers without executing", async () => {
  const card = await openSelected();
  card.injectStatus(0x6f00, 2);
  assertEquals((await send(card, "00200081063030303030")).sw, 0x6f00);
  assertEquals((await send(card, "00200081063030303030")).sw, 0x6f00);
  assertEquals((await send(card, "00CA00C400")).data[4], 3);
});

Deno.test("VirtualCard.apduLog counts APDUs and bytes by INS", async () => {
  const card = await openSelected();
  card.apduLog.reset();
  await send(card, "00CA00C400");
  await send(card, "00CA004F00");
  await send(card, "0020008100");
  await send(card, "00CA00C4000000"); // extended Le
  card.reset();
  assertEquals(card.apduLog.total(), 4);
  assertEquals(card.apduLog.byIns(), {
    "20": { count: 1, extended: 0, bytesIn: 5, bytesOut: 2 },
    CA: { count: 3, extended: 1, bytesIn: 17, bytesOut: 36 },
  });
  assertEquals(card.apduLog.resets(), 1);
  card.apduLog.reset();
  assertEquals([card.apduLog.total(), card.apduLog.byIns(), card.apduLog.resets()], [0, {}, 0]);
});

Deno.test("VirtualCard latency delays the answer", async () => {
  const card = await openSelected();
  card.setLatency({ apduMs: 30 });
  const start = performance.now();
  await send(card, "00CA00C400");
  assert(performance.now() - start >= 25);
  card.setLatency({ apduMs: 0 });
});

Deno.test("VirtualCard applies the latency model per INS (fake sleep records each wait)", async () => {
  const waits: number[] = [];
  const sleep = (ms: number) => (waits.push(ms), Promise.resolve());
  const card = await openSelected({ latency: OPENPGP34, sleep });
  assertEquals(waits, [10]); // the SELECT
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xc1, fromHex("162B06010401DA470F01"));
  await sendAll(card, "00478000 02 B600 00");
  await verifyPin(card, 0x81, PW1);
  assertEquals((await send(card, "002A9E9A 20" + "11".repeat(32) + "00")).sw, 0x9000);
  // no PW1 82: refused without crypto, so only the APDU time
  assertEquals((await send(card, "002A8086 03 00AABB 00")).sw, 0x6982);
  assertEquals(waits, [10, 10, 10, 1500, 10, 150, 10]);

  waits.length = 0;
  card.setLatency({ model: NITROKEY3 });
  await verifyPin(card, 0x81, PW1);
  await send(card, "0020008100");
  await send(card, "002A9E9A 20" + "11".repeat(32) + "00");
  assertEquals(waits, [800, 15, 60]);

  waits.length = 0;
  card.setLatency({ apduMs: 2, psoMs: 5 });
  await send(card, "002A9E9A 20" + "11".repeat(32) + "00");
  await send(card, "0020008100");
  assertEquals(waits, [7, 2]);
});

Deno.test("VirtualCard reset and power cycle clear selection and security status", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  card.reset();
  assertEquals((await send(card, "0020008300")).sw, 0x6d00);
  await send(card, SELECT_OPENPGP);
  assertEquals((await send(card, "0020008300")).sw, 0x63c3);
  card.powerOff();
  await assertRejects(() => card.transmit(fromHex("00CA004F00")), /powered off/);
  card.powerOn();
  assertEquals((await send(card, "00CA004F00")).sw, 0x6d00);
});

Deno.test("VirtualCard runs concurrent APDUs one at a time, in order", async () => {
  const card = await openSelected();
  card.setLatency({ apduMs: 2 });
  const answers = await Promise.all([
    send(card, "00200083083132333435363738"),
    send(card, "0020008300"),
    send(card, "0020FF83"),
    send(card, "0020008300"),
  ]);
  assertEquals(answers.map((a) => a.sw), [0x9000, 0x9000, 0x9000, 0x63c3]);
});

Deno.test("VirtualCard.addOtherApplication(): its SELECT answers 9000 and deselects OpenPGP", async () => {
  const card = await openSelected();
  assertEquals((await send(card, "00A4040009A00000030800001000")).sw, 0x6a82);
  assertEquals((await send(card, "00CA004F00")).sw, 0x9000);
  card.addOtherApplication(fromHex("A000000308"));
  assertEquals((await send(card, "00A4040009A00000030800001000")).sw, 0x9000);
  assert((await send(card, "00CA004F00")).sw !== 0x9000, "OpenPGP still selected");
  assertEquals((await send(card, SELECT_OPENPGP)).sw, 0x9000);
  assertEquals((await send(card, "00CA004F00")).sw, 0x9000);
});

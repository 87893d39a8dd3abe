import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { concat, utf8 } from "../util/bytes.ts";
import {
  apdu,
  getData,
  openSelected,
  putData,
  PW1,
  PW3,
  SELECT_OPENPGP,
  send,
  verifyPin,
} from "../../tests/support/virtual_apdu.ts";
import type { VirtualCard } from "./card.ts";

async function tries(card: VirtualCard): Promise<number[]> {
  return Array.from((await getData(card, 0xc4)).data.subarray(4));
}

Deno.test("verify() counts wrong PINs down and blocks at zero", async () => {
  const card = await openSelected();
  assertEquals(await verifyPin(card, 0x81, "000000"), 0x63c2);
  assertEquals(await verifyPin(card, 0x82, "0000000000"), 0x63c1);
  assertEquals(await tries(card), [1, 0, 3]);
  assertEquals(await verifyPin(card, 0x81, "000000"), 0x63c0);
  assertEquals(await verifyPin(card, 0x81, PW1), 0x6983);
  assertEquals(await verifyPin(card, 0x82, PW1), 0x6983);
  assertEquals(await tries(card), [0, 0, 3]);
});

Deno.test("verify() resets the counter after a correct PIN", async () => {
  const card = await openSelected();
  assertEquals(await verifyPin(card, 0x83, "87654321"), 0x63c2);
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals(await tries(card), [3, 0, 3]);
});

Deno.test("verify() with empty data reports the status without counting", async () => {
  const card = await openSelected();
  assertEquals((await send(card, "0020008100")).sw, 0x63c3);
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  assertEquals((await send(card, "0020008100")).sw, 0x9000);
  assertEquals((await send(card, "0020008200")).sw, 0x63c3);
  assertEquals((await send(card, "00200082")).sw, 0x63c3);
  assertEquals(await tries(card), [3, 0, 3]);
});

Deno.test("verify() P1=FF resets only the given reference", async () => {
  const card = await openSelected();
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  assertEquals(await verifyPin(card, 0x82, PW1), 0x9000);
  assertEquals((await send(card, "0020FF82")).sw, 0x9000);
  assertEquals((await send(card, "0020008200")).sw, 0x63c3);
  assertEquals((await send(card, "0020008100")).sw, 0x9000);
  assertEquals((await send(card, "0020FF81")).sw, 0x9000);
  assertEquals((await send(card, "0020008100")).sw, 0x63c3);
  assertEquals((await send(card, "00200084")).sw, 0x6a86);
  assertEquals((await send(card, "00200181")).sw, 0x6a86);
});

Deno.test("verify() failure drops an earlier verification of that reference", async () => {
  const card = await openSelected();
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals(await verifyPin(card, 0x83, "00000000"), 0x63c2);
  assertEquals((await send(card, "0020008300")).sw, 0x63c2);
});

Deno.test("changeReferenceData() replaces PW1 and PW3 after checking the old value", async () => {
  const card = await openSelected();
  const change = (p2: number, old: string, next: string) =>
    send(card, apdu(0x240000 | p2, concat(utf8(old), utf8(next))));
  assertEquals((await change(0x81, PW1, "abcdefg")).sw, 0x9000);
  assertEquals(await verifyPin(card, 0x81, PW1), 0x63c2);
  assertEquals(await verifyPin(card, 0x82, "abcdefg"), 0x9000);
  assertEquals((await change(0x83, PW3, "admin-pin-2")).sw, 0x9000);
  assertEquals(await verifyPin(card, 0x83, "admin-pin-2"), 0x9000);
  // Wrong old value counts; a too short new value is rejected after the old one matched.
  assertEquals((await change(0x83, "wrong-pin", "whatever99")).sw, 0x63c2);
  assertEquals((await change(0x83, "admin-pin-2", "short")).sw, 0x6a80);
  assertEquals(await tries(card), [3, 0, 3]);
  assertEquals((await change(0x82, "abcdefg", "1234567")).sw, 0x6a86);
});

Deno.test("resetRetryCounter() unblocks PW1 with the resetting code", async () => {
  const card = await openSelected();
  const rc = utf8("reset-code-1");
  assertEquals(await putData(card, 0xd3, rc), 0x6982);
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals(await putData(card, 0xd3, utf8("1234567")), 0x6a80);
  assertEquals(await putData(card, 0xd3, rc), 0x9000);
  assertEquals(await tries(card), [3, 3, 3]);
  for (let i = 0; i < 3; i++) await verifyPin(card, 0x81, "999999");
  assertEquals(await verifyPin(card, 0x81, PW1), 0x6983);
  const reset = (data: Uint8Array) => send(card, apdu(0x2c0081, data));
  assertEquals((await reset(concat(utf8("reset-code-2"), utf8("654321")))).sw, 0x63c2);
  assertEquals((await reset(concat(rc, utf8("12345")))).sw, 0x6a80);
  assertEquals((await reset(concat(rc, utf8("654321")))).sw, 0x9000);
  assertEquals(await tries(card), [3, 3, 3]);
  assertEquals(await verifyPin(card, 0x81, "654321"), 0x9000);
});

Deno.test("resetRetryCounter() needs a resetting code or PW3", async () => {
  const card = await openSelected();
  const data = concat(utf8("no-code-set"), utf8("654321"));
  assertEquals((await send(card, apdu(0x2c0081, data))).sw, 0x6982);
  assertEquals((await send(card, apdu(0x2c0281, utf8("654321")))).sw, 0x6982);
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals((await send(card, apdu(0x2c0281, utf8("65432")))).sw, 0x6a80);
  assertEquals((await send(card, apdu(0x2c0281, utf8("654321")))).sw, 0x9000);
  assertEquals(await verifyPin(card, 0x82, "654321"), 0x9000);
  assertEquals((await send(card, apdu(0x2c0181, utf8("654321")))).sw, 0x6a86);
});

Deno.test("resetting code is deleted by an empty PUT DATA D3 and blocks after three tries", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xd3, utf8("reset-code-1"));
  for (const sw of [0x63c2, 0x63c1, 0x63c0, 0x6983]) {
    assertEquals((await send(card, apdu(0x2c0081, utf8("reset-code-xnewpin1")))).sw, sw);
  }
  assertEquals(await putData(card, 0xd3, new Uint8Array(0)), 0x9000);
  assertEquals(await tries(card), [3, 0, 3]);
});

Deno.test("SELECT clears the security status", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x82, PW1);
  await verifyPin(card, 0x83, PW3);
  assertEquals((await send(card, SELECT_OPENPGP)).sw, 0x9000);
  assertEquals((await send(card, "0020008200")).sw, 0x63c3);
  assertEquals((await send(card, "0020008300")).sw, 0x63c3);
});

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { concat, fromHex, utf8 } from "../util/bytes.ts";
import {
  apdu,
  extApdu,
  getData,
  openSelected,
  PW1,
  PW3,
  SELECT_OPENPGP,
  send,
  sendAll,
  verifyPin,
} from "../../tests/support/virtual_apdu.ts";
import { VirtualCard } from "./card.ts";

Deno.test("OpenPgpApplet answers 6E00, 6882, 6D00 for bad CLA, SM and unknown INS", async () => {
  const card = await openSelected();
  assertEquals((await send(card, "80CA006E00")).sw, 0x6e00);
  assertEquals((await send(card, "0CCA006E00")).sw, 0x6882);
  assertEquals((await send(card, "00FE000000")).sw, 0x6d00);
  assertEquals((await send(card, "00CB3FFF00")).sw, 0x6d00);
  assertEquals((await send(card, "00CA00")).sw, 0x6700);
});

Deno.test("OpenPgpApplet understands only SELECT until the application is selected", async () => {
  const card = await VirtualCard.open();
  assertEquals((await send(card, "00CA006E00")).sw, 0x6d00);
  assertEquals((await send(card, "00A4000C023F00")).sw, 0x6a82);
  assertEquals((await send(card, "00A4040009A00000030800001000")).sw, 0x6a82);
  assertEquals((await send(card, "00A4040C06D27600012401")).sw, 0x9000);
  assertEquals((await send(card, "00CA006E00")).sw, 0x6100 | 1);
  // A failed SELECT of another application leaves OpenPGP selected and verified.
  assertEquals((await send(card, "0020008106313233343536")).sw, 0x9000);
  assertEquals((await send(card, "00A4040009A00000030800001000")).sw, 0x6a82);
  assertEquals((await send(card, "00A4000C023F00")).sw, 0x6a82);
  assertEquals((await send(card, "0020008100")).sw, 0x9000);
  card.reset();
  assertEquals((await send(card, "00CA004F00")).sw, 0x6d00);
  assertEquals((await send(card, "00A404000AD2760001240103040000")).sw, 0x6a82);
  assertEquals((await send(card, "00A4040005D276000124")).sw, 0x9000);
  assertEquals((await send(card, "00A4040210D276000124010304FFFE000000010000")).sw, 0x6a86);
});

Deno.test("OpenPgpApplet sends long answers in 61xx pieces for short Le", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const cert = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
  assertEquals((await send(card, extApdu(0xda7f21, cert).subarray(0, -2))).sw, 0x9000);
  const first = await send(card, "00CA7F2100");
  assertEquals([first.data.length, first.sw], [256, 0x6100]);
  const second = await send(card, "00C0000000");
  assertEquals([second.data.length, second.sw], [256, 0x6158]);
  const third = await send(card, "00C0000058");
  assertEquals([third.data, third.sw], [cert.subarray(512), 0x9000]);
  assertEquals((await send(card, "00C0000000")).sw, 0x6985);
  assertEquals((await sendAll(card, "00CA7F2100")).data, cert);
  // Le smaller than the answer: the rest follows through GET RESPONSE as well.
  const small = await send(card, "00CA7F2110");
  assertEquals([small.data, small.sw], [cert.subarray(0, 16), 0x6100]);
  // Any other command drops the pending answer.
  await send(card, "00CA004F00");
  assertEquals((await send(card, "00C0000000")).sw, 0x6985);
});

Deno.test("OpenPgpApplet gives extended-length requests the whole answer", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const cert = new Uint8Array(1500).fill(0x5a);
  assertEquals((await send(card, extApdu(0xda7f21, cert).subarray(0, -2))).sw, 0x9000);
  assertEquals(await send(card, "00CA7F21000000"), { data: cert, sw: 0x9000 });
  assertEquals(await send(card, extApdu(0xca7f21, new Uint8Array(0), 0xfffe)), {
    data: cert,
    sw: 0x9000,
  });
});

Deno.test("OpenPgpApplet joins chained commands (CLA 10) before executing", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const value = Uint8Array.from({ length: 250 }, (_, i) => i);
  const chunk = (data: Uint8Array, cla: number) => apdu(0xda0102, data, undefined, cla);
  assertEquals((await send(card, chunk(value.subarray(0, 100), 0x10))).sw, 0x9000);
  assertEquals((await send(card, chunk(value.subarray(100, 200), 0x10))).sw, 0x9000);
  assertEquals((await send(card, chunk(value.subarray(200), 0x00))).sw, 0x9000);
  assertEquals((await getData(card, 0x0102)).data, value);
  // A chain interrupted by another command is dropped.
  assertEquals((await send(card, chunk(utf8("lost-"), 0x10))).sw, 0x9000);
  assertEquals((await getData(card, 0x4f)).sw, 0x9000);
  assertEquals((await send(card, chunk(utf8("kept"), 0x00))).sw, 0x9000);
  assertEquals((await getData(card, 0x0102)).data, utf8("kept"));
});

Deno.test("OpenPgpApplet takes a chained VERIFY as one PIN", async () => {
  const card = await openSelected();
  assertEquals((await send(card, apdu(0x200081, utf8("123"), undefined, 0x10))).sw, 0x9000);
  assertEquals((await send(card, apdu(0x200081, utf8("456")))).sw, 0x9000);
  assertEquals((await send(card, "0020008100")).sw, 0x9000);
});

Deno.test("GET CHALLENGE returns Ne random bytes", async () => {
  const card = await openSelected();
  const a = await send(card, "0084000020");
  const b = await send(card, "0084000020");
  assertEquals([a.data.length, a.sw], [32, 0x9000]);
  assert(a.data.some((x, i) => x !== b.data[i]));
  assertEquals((await send(card, "0084000000")).data.length, 256);
  assertEquals((await send(card, "0084010020")).sw, 0x6a86);
  assertEquals((await send(card, "00840000")).sw, 0x6700);
});

Deno.test("TERMINATE DF needs PW3 verified or blocked", async () => {
  const card = await openSelected();
  assertEquals((await send(card, "00E60000")).sw, 0x6985);
  await verifyPin(card, 0x83, PW3);
  assertEquals((await send(card, "00E60100")).sw, 0x6a86);
  assertEquals((await send(card, "00E60000")).sw, 0x9000);
  assertEquals((await send(card, "00CA006E00")).sw, 0x6285);
  assertEquals((await send(card, "0020008100")).sw, 0x6285);
});

Deno.test("factory reset the gnupg way: block PINs, TERMINATE DF, ACTIVATE FILE", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  await send(card, apdu(0xda005b, utf8("Doe<<John")));
  await send(card, apdu(0x240081, concat(utf8(PW1), utf8("999999"))));
  await send(card, SELECT_OPENPGP);
  const wrong = new Uint8Array(32).fill(0x40);
  for (let i = 0; i < 4; i++) await verifyPin(card, 0x81, wrong);
  for (let i = 0; i < 4; i++) await verifyPin(card, 0x83, wrong);
  assertEquals(Array.from((await getData(card, 0xc4)).data.subarray(4)), [0, 0, 0]);
  assertEquals((await send(card, "00E60000")).sw, 0x9000);
  assertEquals((await send(card, SELECT_OPENPGP)).sw, 0x6285);
  assertEquals((await send(card, "00CA004F00")).sw, 0x6285);
  card.reset();
  assertEquals((await send(card, "00440000")).sw, 0x9000);
  assertEquals((await send(card, SELECT_OPENPGP)).sw, 0x9000);
  assertEquals(Array.from((await getData(card, 0xc4)).data.subarray(4)), [3, 0, 3]);
  assertEquals((await getData(card, 0x65)).data, fromHex("65085B005F2D005F3500"));
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  // ACTIVATE FILE on an operational card changes nothing.
  assertEquals((await send(card, "00440000")).sw, 0x9000);
  assertEquals((await send(card, "0020008100")).sw, 0x9000);
});

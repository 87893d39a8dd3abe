import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { CardStatusError, NoObjectError, PinBlockedError, PinError } from "../app/errors.ts";
import type { CardChannel } from "../iso7816/mod.ts";
import { tlv } from "../iso7816/tlv.ts";
import { concat, fromHex, toHex, utf8 } from "../util/bytes.ts";
import { CardState, OpenPgpSession } from "./session.ts";

const ARD = tlv(
  0x6e,
  tlv(0x4f, fromHex("D2760001240103040006123456780000")),
  tlv(0x5f52, fromHex("00730000E0059000")),
  tlv(
    0x73,
    tlv(0xc0, fromHex("7D000BFE080000FF0000")),
    tlv(0xc1, fromHex("010800002000")),
    tlv(0xc4, fromHex("0120207F030003")),
  ),
);

/** A fake card answering by command prefix (hex); records commands. */
class FakeCard implements CardChannel {
  readonly atr = fromHex("3B00");
  readonly reader = "fake";
  readonly sent: string[] = [];
  answers = new Map<string, string | (() => string)>([
    ["00A4040C", "9000"],
    ["00CA006E", toHex(ARD) + "9000"],
    ["00CA0065", toHex(tlv(0x65, tlv(0x5b, utf8("Doe<<John")))) + "9000"],
    ["00CA00C4", "0120207F0300039000"],
    ["00DA", "9000"],
    ["0020", "9000"],
  ]);

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const hex = toHex(apdu);
    this.sent.push(hex);
    for (const [prefix, a] of this.answers) {
      if (hex.startsWith(prefix)) return Promise.resolve(fromHex(typeof a === "string" ? a : a()));
    }
    return Promise.resolve(fromHex("6D00"));
  }

  count(prefix: string): number {
    return this.sent.filter((h) => h.startsWith(prefix)).length;
  }
}

Deno.test("OpenPgpSession.open() selects with P2=0C and reads the ARD once per cache", async () => {
  const card = new FakeCard();
  const cache = new CardState();
  const s = await OpenPgpSession.open(card, { cardState: cache });
  assertEquals(card.sent.slice(0, 2), ["00A4040C06D27600012401", "00CA006E00"]);
  assertEquals((await s.applicationRelatedData()).aid.serial, 0x12345678);
  await OpenPgpSession.open(card, { cardState: cache });
  assertEquals(card.count("00CA006E"), 1);
});

Deno.test("OpenPgpSession.select() falls back to P2=00 for cards refusing 0C", async () => {
  const card = new FakeCard();
  card.answers.set("00A4040C", "6A86");
  card.answers.set("00A40400", "9000");
  await OpenPgpSession.open(card);
  assertEquals(card.sent.slice(0, 2), ["00A4040C06D27600012401", "00A4040006D27600012401"]);
});

Deno.test("OpenPgpSession.getData() caches session DOs and invalidates them on every write", async () => {
  const card = new FakeCard();
  const cache = new CardState();
  const s = await OpenPgpSession.open(card, { cardState: cache });
  await s.getData(0x65);
  await s.getData(0x65);
  assertEquals(card.count("00CA0065"), 1);
  const before = cache.generation;
  await s.putData(0x5b, utf8("Roe<<Jane"));
  assertEquals(cache.generation, before + 1);
  assertEquals(cache.ard, undefined);
  await s.getData(0x65);
  assertEquals(card.count("00CA0065"), 2);
  await s.applicationRelatedData();
  assertEquals(card.count("00CA006E"), 2);
});

Deno.test("OpenPgpSession.getData() never caches PW status", async () => {
  const card = new FakeCard();
  const s = await OpenPgpSession.open(card);
  await s.pwStatusBytes();
  await s.pwStatusBytes();
  assertEquals(card.count("00CA00C4"), 2);
});

Deno.test("OpenPgpSession.getData() returns undefined for absent DOs and throws other errors", async () => {
  const card = new FakeCard();
  card.answers.set("00CA5F50", "6A88");
  card.answers.set("00CA005E", "6F00");
  const s = await OpenPgpSession.open(card);
  assertEquals(await s.getData(0x5f50), undefined);
  await assertRejects(
    () => s.getData(0x5e),
    (e: unknown) => e instanceof CardStatusError && e.sw === 0x6f00,
  );
});

Deno.test("OpenPgpSession.verify() maps 63Cx, 6982 and 6983", async () => {
  const card = new FakeCard();
  const s = await OpenPgpSession.open(card);
  for (
    const [sw, check] of [
      ["63C2", (e: unknown) => e instanceof PinError && e.triesLeft === 2],
      ["6982", (e: unknown) => e instanceof PinError && e.triesLeft === undefined],
      ["6983", (e: unknown) => e instanceof PinBlockedError],
    ] as const
  ) {
    card.answers.set("0020", sw);
    await assertRejects(() => s.verify(0x81, utf8("123456")), check);
  }
  assertEquals(s.verified.size, 0);
  card.answers.set("0020", "9000");
  await s.verify(0x82, utf8("123456"));
  assertEquals([...s.verified], [0x82]);
  await s.resetVerification(0x82);
  assertEquals(card.sent.at(-1), "0020FF82");
});

Deno.test("OpenPgpSession.verify() counts a VERIFY whose answer was lost as one to clear", async () => {
  const card = new FakeCard();
  const s = await OpenPgpSession.open(card);
  card.answers.set("0020", () => {
    throw new Error("reader gone while the PIN was in flight");
  });
  await assertRejects(() => s.verify(0x81, utf8("123456")), /reader gone/);
  assertEquals([...s.touched], [0x81]); // the strict policy clears what it cannot rule out
  card.answers.set("0020", "63C2");
  await assertRejects(() => s.verify(0x82, utf8("123456")), PinError);
  assertEquals([...s.touched], [0x81]); // an answered refusal verified nothing
});

Deno.test("OpenPgpSession.readPublicKey() reports card errors as a missing key and caches hits", async () => {
  const card = new FakeCard();
  const resp = tlv(0x7f49, tlv(0x86, fromHex("AA")));
  card.answers.set("0047810002B6", toHex(resp) + "9000");
  card.answers.set("0047810002B8", "6A88");
  const s = await OpenPgpSession.open(card);
  assertEquals(toHex(await s.readPublicKey(0)), toHex(resp));
  await s.readPublicKey(0);
  assertEquals(card.count("0047810002B6"), 1);
  await assertRejects(() => s.readPublicKey(1), NoObjectError);
});

Deno.test("OpenPgpSession uses extended length for long PSO data when the card announces it", async () => {
  const card = new FakeCard();
  card.answers.set("002A8086", "01029000");
  const s = await OpenPgpSession.open(card);
  const out = await s.decipher(concat(Uint8Array.of(0), new Uint8Array(256)), 256);
  assertEquals(toHex(out), "0102");
  assertEquals(card.sent.at(-1)!.slice(0, 14), "002A8086000101");
  assertEquals(card.sent.at(-1)!.slice(-4), "0100");
});

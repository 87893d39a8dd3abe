import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import type { CardChannel } from "../pcsc/channel.ts";
import { concat, fromHex, toHex } from "../util/bytes.ts";
import { ApduLengthError } from "./errors.ts";
import { ApduTransport, CHAINING_CHUNK } from "./processors.ts";

/** A scripted channel: answers from a function, records every command in hex. */
class FakeChannel implements CardChannel {
  readonly atr = fromHex("3B00");
  readonly reader = "fake";
  readonly sent: string[] = [];
  #answer: (apdu: Uint8Array, index: number) => string;

  constructor(answer: (apdu: Uint8Array, index: number) => string) {
    this.#answer = answer;
  }

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.sent.push(toHex(apdu));
    return Promise.resolve(fromHex(this.#answer(apdu, this.sent.length - 1)));
  }
}

Deno.test("ApduTransport sends a short APDU and parses the answer", async () => {
  const ch = new FakeChannel(() => "AABB9000");
  const r = await new ApduTransport(ch).send({ cla: 0, ins: 0xca, p1: 0, p2: 0x6e, le: "max" });
  assertEquals(ch.sent, ["00CA006E00"]);
  assertEquals(toHex(r.data), "AABB");
  assertEquals(r.sw, 0x9000);
});

Deno.test("ApduTransport follows 61xx with GET RESPONSE and concatenates", async () => {
  const ch = new FakeChannel((_a, i) => ["01026103", "0304056100", "069000"][i]!);
  const r = await new ApduTransport(ch).send({
    cla: 0,
    ins: 0x2a,
    p1: 0x9e,
    p2: 0x9a,
    data: fromHex("11"),
    le: "max",
  });
  assertEquals(ch.sent, ["002A9E9A011100", "00C0000003", "00C0000000"]);
  assertEquals(toHex(r.data), "010203040506");
  assertEquals(r.sw, 0x9000);
});

Deno.test("ApduTransport resends once with the exact Le on 6Cxx", async () => {
  const ch = new FakeChannel((_a, i) => ["6C04", "0A0B0C0D9000"][i]!);
  const r = await new ApduTransport(ch).send({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 });
  assertEquals(ch.sent, ["0084000008", "0084000004"]);
  assertEquals(toHex(r.data), "0A0B0C0D");
});

Deno.test("ApduTransport resends only once on repeated 6Cxx", async () => {
  const ch = new FakeChannel(() => "6C04");
  const r = await new ApduTransport(ch).send({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 });
  assertEquals(ch.sent.length, 2);
  assertEquals(r.sw, 0x6c04);
});

Deno.test("ApduTransport uses extended length when the card announces it", async () => {
  const ch = new FakeChannel(() => "9000");
  const t = new ApduTransport(ch, {
    capabilities: { extendedLength: true, commandChaining: true },
  });
  const data = new Uint8Array(300).fill(1);
  await t.send({ cla: 0, ins: 0x2a, p1: 0x80, p2: 0x86, data, le: 256 });
  assertEquals(ch.sent.length, 1);
  assertEquals(ch.sent[0]!.slice(0, 14), "002A808600012C");
  assertEquals(ch.sent[0]!.slice(-4), "0100");
});

Deno.test("ApduTransport chains 254-byte chunks with CLA 10 when only chaining is announced", async () => {
  const ch = new FakeChannel(() => "9000");
  const t = new ApduTransport(ch);
  t.configure({ extendedLength: false, commandChaining: true });
  const data = new Uint8Array(600);
  for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
  await t.send({ cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data });
  // 600 = 254 + 254 + 92: chained while more than 255 bytes remain.
  assertEquals(ch.sent.length, 3);
  assertEquals(ch.sent[0]!.slice(0, 10), "10DB3FFFFE");
  assertEquals(ch.sent[1]!.slice(0, 10), "10DB3FFFFE");
  assertEquals(ch.sent[2]!.slice(0, 10), "00DB3FFF5C");
  const sent = concat(...ch.sent.map((h) => fromHex(h).subarray(5)));
  assertEquals(toHex(sent), toHex(data));
  assertEquals(CHAINING_CHUNK, 254);
});

Deno.test("ApduTransport puts Le only on the last chained chunk", async () => {
  const ch = new FakeChannel(() => "9000");
  const t = new ApduTransport(ch, {
    capabilities: { extendedLength: false, commandChaining: true },
  });
  await t.send({ cla: 0, ins: 0x2a, p1: 0x80, p2: 0x86, data: new Uint8Array(257), le: 256 });
  assertEquals(ch.sent.length, 2);
  assertEquals(ch.sent[0]!.length, (5 + 254) * 2);
  assertEquals(ch.sent[1]!, "002A808603000000" + "00");
});

Deno.test("ApduTransport stops chaining at the first error", async () => {
  const ch = new FakeChannel(() => "6A80");
  const t = new ApduTransport(ch, {
    capabilities: { extendedLength: false, commandChaining: true },
  });
  const r = await t.send({ cla: 0, ins: 0xdb, p1: 0x3f, p2: 0xff, data: new Uint8Array(600) });
  assertEquals(ch.sent.length, 1);
  assertEquals(r.sw, 0x6a80);
});

Deno.test("ApduTransport falls back to Le=256 and 61xx for a large Ne", async () => {
  const ch = new FakeChannel((_a, i) => ["AA6101", "BB9000"][i]!);
  const r = await new ApduTransport(ch).send({
    cla: 0,
    ins: 0x47,
    p1: 0x81,
    p2: 0,
    data: fromHex("B600"),
    le: 600,
  });
  assertEquals(ch.sent, ["0047810002B60000", "00C0000001"]);
  assertEquals(toHex(r.data), "AABB");
});

Deno.test("ApduTransport refuses long data without extended length or chaining", async () => {
  const ch = new FakeChannel(() => "9000");
  await assertRejects(
    () =>
      new ApduTransport(ch).send({ cla: 0, ins: 0xda, p1: 0, p2: 0x5e, data: new Uint8Array(256) }),
    ApduLengthError,
  );
  assertEquals(ch.sent.length, 0);
});

Deno.test("ApduTransport honours an aborted signal before sending", async () => {
  const ch = new FakeChannel(() => "9000");
  const ac = new AbortController();
  ac.abort();
  await assertRejects(() =>
    new ApduTransport(ch).send({ cla: 0, ins: 0, p1: 0, p2: 0 }, { signal: ac.signal })
  );
  assertEquals(ch.sent.length, 0);
});

Deno.test("ApduTransport wipes the encoded command and the raw responses after the exchange", async () => {
  const sent: Uint8Array[] = [];
  const answered: Uint8Array[] = [];
  const answers = ["0102030405066104", "070809109000"];
  const channel: CardChannel = {
    reader: "R",
    atr: Uint8Array.of(0x3b),
    transmit: (apdu) => {
      sent.push(apdu);
      const r = fromHex(answers.shift()!);
      answered.push(r);
      return Promise.resolve(r);
    },
  };
  const pin = fromHex("313233343536");
  const r = await new ApduTransport(channel).send({
    cla: 0,
    ins: 0x20,
    p1: 0,
    p2: 0x82,
    data: pin,
  });
  assertEquals([toHex(r.data), r.sw], ["0102030405060708091" + "0", 0x9000]);
  assertEquals(toHex(pin), "313233343536"); // the caller's PIN is the caller's to wipe
  for (const b of [...sent, ...answered]) assertEquals(b.every((x) => x === 0), true, toHex(b));
});

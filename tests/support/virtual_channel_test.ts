import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { fromHex } from "../../src/util/bytes.ts";
import { VirtualCard } from "../../src/virtual/card.ts";
import { IN_PROCESS_READER, VirtualChannel } from "./virtual_channel.ts";

Deno.test("VirtualChannel passes APDUs to the card and reports its ATR and reader", async () => {
  const card = await VirtualCard.open();
  const channel = new VirtualChannel(card);
  assertEquals(channel.reader, IN_PROCESS_READER);
  assertEquals(channel.atr, card.atr);
  assertEquals(await channel.transmit(fromHex("00A4040006D27600012401")), fromHex("9000"));
  const answer = await channel.transmit(fromHex("00CA004F00"), new AbortController().signal);
  assertEquals(answer.subarray(-2), fromHex("9000"));
});

Deno.test("VirtualChannel.transmit() rejects once the signal aborts", async () => {
  const card = await VirtualCard.open({ apduLatencyMs: 50 });
  const channel = new VirtualChannel(card, "Test reader");
  const aborted = AbortSignal.abort(new Error("cancelled early"));
  await assertRejects(() => channel.transmit(fromHex("00CA004F00"), aborted), /cancelled early/);
  const controller = new AbortController();
  const pending = channel.transmit(fromHex("00CA004F00"), controller.signal);
  controller.abort(new Error("cancelled late"));
  await assertRejects(() => pending, /cancelled late/);
  // The card still finishes; let its timer run out before the test ends.
  await card.transmit(fromHex("00CA004F00"));
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { ReaderState } from "../pcsc/mod.ts";
import { type Insertion, planScan } from "./reader_plan.ts";

const ATR_A = Uint8Array.of(0x3b, 0xda, 0x11);
const ATR_B = Uint8Array.of(0x3b, 0xda, 0x22);

function state(reader: string, card: ReaderState["card"], more: Partial<ReaderState> = {}) {
  const atr = card === "none" ? new Uint8Array(0) : ATR_A;
  return { reader, card, exclusive: false, atr, counter: 1, ...more };
}

function actions(
  states: ReaderState[],
  known: Record<string, Insertion> = {},
  noApp: Record<string, Insertion> = {},
): string[] {
  const plan = planScan(states, new Map(Object.entries(known)), new Map(Object.entries(noApp)));
  return plan.map((s) => `${s.slot} ${s.reader} ${s.action}${"why" in s ? ` ${s.why}` : ""}`);
}

Deno.test("planScan() never connects to an empty or mute reader", () => {
  assertEquals(actions([state("A", "none"), state("B", "mute"), state("C", "present")]), [
    "0 A skip empty",
    "1 B skip mute",
    "2 C open",
  ]);
});

Deno.test("planScan() opens a card once per insertion: same counter and ATR is kept", () => {
  const known = { A: { atr: ATR_A, counter: 1 } };
  assertEquals(actions([state("A", "present")], known), ["0 A keep"]);
  // re-inserted (counter moved) or another card (ATR differs): open again
  assertEquals(actions([state("A", "present", { counter: 3 })], known), ["0 A open"]);
  assertEquals(actions([state("A", "present", { atr: ATR_B })], known), ["0 A open"]);
});

Deno.test("planScan() drops a known card whose reader is empty, mute or gone from the list", () => {
  const known = { A: { atr: ATR_A, counter: 1 }, B: { atr: ATR_A, counter: 1 } };
  // B unplugged (USB hot-plug): not in the states at all, so no step; the registry drops it
  assertEquals(actions([state("A", "none")], known), ["0 A drop"]);
  assertEquals(actions([state("A", "mute")], known), ["0 A drop"]);
});

Deno.test("planScan() remembers a card without an OpenPGP application until its reader changes", () => {
  const noApp = { A: { atr: ATR_A, counter: 1 } };
  assertEquals(actions([state("A", "present")], {}, noApp), ["0 A skip no-app"]);
  assertEquals(actions([state("A", "present", { counter: 3 })], {}, noApp), ["0 A open"]);
});

Deno.test("planScan() leaves a card another program holds exclusively alone", () => {
  const held = state("A", "present", { exclusive: true });
  assertEquals(actions([held]), ["0 A skip exclusive"]);
  assertEquals(actions([held], { A: { atr: ATR_A, counter: 1 } }), ["0 A keep"]);
  assertEquals(actions([held], { A: { atr: ATR_A, counter: 0 } }), ["0 A drop"]);
  assertEquals(actions([held], { A: { atr: ATR_A, counter: undefined } }), ["0 A skip exclusive"]);
});

Deno.test("planScan() after a pcscd restart: the same ATR is confirmed, another one opened", () => {
  const known = { A: { atr: ATR_A, counter: undefined } };
  assertEquals(actions([state("A", "present", { counter: 0 })], known), ["0 A confirm"]);
  assertEquals(actions([state("A", "present", { atr: ATR_B })], known), ["0 A open"]);
  assertEquals(actions([state("A", "none")], known), ["0 A drop"]);
});

Deno.test("planScan() numbers slots in the order of the readers given", () => {
  assertEquals(actions([state("B", "present"), state("A", "present")]), ["0 B open", "1 A open"]);
});

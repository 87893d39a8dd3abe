import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { CardState } from "./card_state.ts";

const KEY = Uint8Array.of(0x7f, 0x49, 0x00);

function withKeys(): CardState {
  const s = new CardState();
  for (const slot of [0, 1, 2]) s.setPublicKey(slot, KEY);
  s.setDo(0x5b, Uint8Array.of(0x41));
  return s;
}

Deno.test("invalidate forgets every DO and key; a write to one slot keeps the others' keys", () => {
  const all = withKeys();
  const before = all.generation;
  all.invalidate();
  assertEquals([0, 1, 2].map((s) => all.getPublicKey(s)), [undefined, undefined, undefined]);
  assertEquals(all.getDo(0x5b), undefined);
  assertEquals(all.generation, before + 1);

  const one = withKeys();
  one.invalidate({ keySlot: 1 });
  assertEquals([0, 1, 2].map((s) => one.getPublicKey(s)), [KEY, undefined, KEY]);
  assertEquals(one.getDo(0x5b), undefined);

  const none = withKeys();
  none.invalidate({ keySlot: "none" });
  assertEquals([0, 1, 2].map((s) => none.getPublicKey(s)), [KEY, KEY, KEY]);
  assertEquals(none.getDo(0x5b), undefined);
});

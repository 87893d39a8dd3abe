import assert from "node:assert/strict";
import { SCARD_STATE_EMPTY, SCARD_STATE_PRESENT } from "../../ffi/mod.ts";
import { cardEvents, type ReaderSnapshot } from "./monitor.ts";

const ATR = Uint8Array.of(0x3b, 0x80);

function snap(present: boolean, counter: number): ReaderSnapshot {
  const bits = present ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
  return {
    reader: "R",
    present,
    atr: present ? ATR : new Uint8Array(0),
    eventState: (counter << 16) | bits,
  };
}

Deno.test("cardEvents() reports insertion and removal", () => {
  assert.deepEqual(cardEvents("R", snap(false, 1), snap(true, 2)), [
    { type: "card-inserted", reader: "R", atr: ATR },
  ]);
  assert.deepEqual(cardEvents("R", undefined, snap(true, 0)), [
    { type: "card-inserted", reader: "R", atr: ATR },
  ]);
  assert.deepEqual(cardEvents("R", snap(true, 2), snap(false, 3)), [
    { type: "card-removed", reader: "R" },
  ]);
});

Deno.test("cardEvents() reports a swap when the event counter moved under a present card", () => {
  assert.deepEqual(cardEvents("R", snap(true, 2), snap(true, 4)), [
    { type: "card-removed", reader: "R" },
    { type: "card-inserted", reader: "R", atr: ATR },
  ]);
});

Deno.test("cardEvents() stays quiet when nothing relevant changed", () => {
  assert.deepEqual(cardEvents("R", snap(true, 2), snap(true, 2)), []);
  assert.deepEqual(cardEvents("R", snap(false, 2), snap(false, 3)), []);
});

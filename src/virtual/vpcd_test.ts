import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { encodeFrame, FrameDecoder } from "./vpcd.ts";

Deno.test("encodeFrame() prefixes a 2-byte big-endian length", () => {
  assertEquals(encodeFrame(Uint8Array.of(4)), Uint8Array.of(0, 1, 4));
  const big = new Uint8Array(300).fill(7);
  const f = encodeFrame(big);
  assertEquals([f[0], f[1], f.length], [1, 44, 302]);
  assertThrows(() => encodeFrame(new Uint8Array(0x10000)), RangeError);
});

Deno.test("FrameDecoder.push() reassembles messages split across chunks", () => {
  const d = new FrameDecoder();
  const wire = Uint8Array.of(0, 1, 4, 0, 5, 0, 0xa4, 4, 0, 0, 0, 1, 1);
  const out: Uint8Array[] = [];
  for (const b of wire) out.push(...d.push(Uint8Array.of(b)));
  assertEquals(out, [Uint8Array.of(4), Uint8Array.of(0, 0xa4, 4, 0, 0), Uint8Array.of(1)]);
  assertEquals(d.pending, 0);
});

Deno.test("FrameDecoder.push() returns several messages from one chunk and keeps the rest", () => {
  const d = new FrameDecoder();
  const frames = d.push(Uint8Array.of(0, 1, 0, 0, 1, 2, 0, 3, 0xaa));
  assertEquals(frames, [Uint8Array.of(0), Uint8Array.of(2)]);
  assertEquals(d.pending, 3);
  assertEquals(d.push(Uint8Array.of(0xbb, 0xcc)), [Uint8Array.of(0xaa, 0xbb, 0xcc)]);
});

Deno.test("FrameDecoder.push() passes an empty message through", () => {
  assertEquals(new FrameDecoder().push(Uint8Array.of(0, 0)), [new Uint8Array(0)]);
});

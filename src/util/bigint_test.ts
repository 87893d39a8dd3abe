import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { bigFromBytes, bytesFromBig, modInverse } from "./bigint.ts";

Deno.test("bigFromBytes() and bytesFromBig() round-trip big-endian values", () => {
  assertEquals(bigFromBytes(Uint8Array.of(0x01, 0x00, 0x01)), 65537n);
  assertEquals(bigFromBytes(Uint8Array.of(0x00, 0xff)), 255n);
  assertEquals(bigFromBytes(new Uint8Array(0)), 0n);
  assertEquals(bytesFromBig(65537n), Uint8Array.of(0x01, 0x00, 0x01));
  assertEquals(bytesFromBig(0x0fffn), Uint8Array.of(0x0f, 0xff));
  assertEquals(bytesFromBig(0n), Uint8Array.of(0));
  const big = 2n ** 2047n + 12345n;
  assertEquals(bigFromBytes(bytesFromBig(big)), big);
  assertThrows(() => bytesFromBig(-1n), RangeError);
});

Deno.test("modInverse() inverts modulo m and reports non-invertible values", () => {
  assertEquals(modInverse(3n, 11n), 4n);
  const m = (2n ** 127n - 1n) * 1000n;
  const inv = modInverse(65537n, m)!;
  assert(inv > 0n && inv < m);
  assertEquals((65537n * inv) % m, 1n);
  assertEquals(modInverse(6n, 9n), undefined);
  assertEquals(modInverse(-3n, 11n), 7n);
});

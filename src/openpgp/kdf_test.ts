import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { tlv } from "../iso7816/tlv.ts";
import { concat, fromHex, toHex, utf8 } from "../util/bytes.ts";
import { iteratedSaltedS2k, KdfDataError, kdfEnabled, kdfPin, parseKdfDo } from "./kdf.ts";

const SALT = fromHex("0102030405060708");

// Outputs of libgcrypt 1.10.1 gcry_kdf_derive(GCRY_KDF_ITERSALTED_S2K, SHA256, salt 01..08)
// taken with a ctypes probe; they cover count < salt‖PIN, a partial last round and a
// large count.
const VECTORS: [string, number, string][] = [
  ["123456", 0x780000, "F18FD4BB30DB33E4B2BA15818CF280013A873726199FD128EC8376B5B46244D3"],
  ["12345678", 10, "5D89DDA67CDB03B9D5FD5A5AEA02F7EB4A559E09AEEB1607B7DAC53E0D25B031"],
  ["123456", 1000, "0E035A2EE1961266842FCA9C23144F57DCF0328BF4D00FDC9E2B8EE8F3EB5B4A"],
  ["abcdefgh", 65011712, "363172619811F620CECA256AADAF5478F4743907DEA79EE81D96510FB3FD4BBB"],
  ["123456", 14, "1AE0F1043E1492A1ACFFC2319DE52FA4713CF4BFD7123563345550F0DA8EEE9A"],
];

for (const [pin, count, out] of VECTORS) {
  Deno.test(`iteratedSaltedS2k() matches libgcrypt for "${pin}" count ${count}`, () => {
    assertEquals(toHex(iteratedSaltedS2k(utf8(pin), SALT, count)), out);
  });
}

/** A KDF-DO as gpg's kdf-setup writes it (90 bytes, or 110 with RC and PW3 salts). */
function kdfDo(long: boolean): Uint8Array {
  const salt = (b: number) => new Uint8Array(8).fill(b);
  return concat(
    tlv(0x81, Uint8Array.of(3)),
    tlv(0x82, Uint8Array.of(8)),
    tlv(0x83, fromHex("00780000")),
    tlv(0x84, SALT),
    ...(long ? [tlv(0x85, salt(0x22)), tlv(0x86, salt(0x33))] : []),
    tlv(0x87, new Uint8Array(32)),
    tlv(0x88, new Uint8Array(32)),
  );
}

Deno.test("kdfPin() hashes with the PW1 salt at offset 14 in the 90-byte form", () => {
  const f9 = kdfDo(false);
  assertEquals(f9.length, 90);
  assertEquals(kdfEnabled(f9), true);
  assertEquals(toHex(kdfPin(f9, 1, utf8("123456"))), VECTORS[0]![2]);
  assertEquals(toHex(kdfPin(f9, 3, utf8("123456"))), VECTORS[0]![2]);
});

Deno.test("kdfPin() picks RC and PW3 salts in the 110-byte form", () => {
  const f9 = kdfDo(true);
  assertEquals(f9.length, 110);
  const pin = utf8("12345678");
  assertEquals(toHex(kdfPin(f9, 2, pin)), toHex(iteratedSaltedS2k(pin, SALT, 0x780000)));
  assertEquals(
    toHex(kdfPin(f9, 0, pin)),
    toHex(iteratedSaltedS2k(pin, new Uint8Array(8).fill(0x22), 0x780000)),
  );
  assertEquals(
    toHex(kdfPin(f9, 3, pin)),
    toHex(iteratedSaltedS2k(pin, new Uint8Array(8).fill(0x33), 0x780000)),
  );
});

Deno.test("kdfPin() passes the PIN through when KDF is off or absent", () => {
  const off = concat(tlv(0x81, Uint8Array.of(0)), new Uint8Array(87));
  assertEquals(kdfEnabled(off), false);
  assertEquals(toHex(kdfPin(off, 1, utf8("123456"))), "313233343536");
  assertEquals(toHex(kdfPin(undefined, 1, utf8("123456"))), "313233343536");
});

Deno.test("kdfPin() refuses an enabled KDF-DO of another length", () => {
  const odd = concat(kdfDo(false), new Uint8Array(4));
  assertThrows(() => kdfPin(odd, 1, utf8("123456")), KdfDataError);
});

Deno.test("parseKdfDo() reads algorithm, count and salts", () => {
  const k = parseKdfDo(kdfDo(true));
  assertEquals(k.algorithm, 3);
  assertEquals(k.hashAlgorithm, 8);
  assertEquals(k.iterations, 0x780000);
  assertEquals(toHex(k.salts.rc!), "2222222222222222");
  assertEquals(k.initialHashes.pw3?.length, 32);
  assertEquals(parseKdfDo(tlv(0x81, Uint8Array.of(0))).algorithm, 0);
});

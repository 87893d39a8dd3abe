import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { concat, fromHex, uintBE, utf8 } from "../util/bytes.ts";
import {
  apdu,
  getData,
  openSelected,
  putData,
  PW1,
  PW3,
  send,
  verifyPin,
} from "../../tests/support/virtual_apdu.ts";
import { iteratedSaltedS2k, parseKdfDo } from "./kdf.ts";

/** RFC 4880 §3.7.1.3 written out byte by byte, as an independent reference. */
function naiveS2k(secret: Uint8Array, salt: Uint8Array, count: number): Uint8Array {
  const unit = concat(salt, secret);
  const total = Math.max(count, unit.length);
  const all = new Uint8Array(total);
  for (let i = 0; i < total; i++) all[i] = unit[i % unit.length]!;
  return new Uint8Array(createHash("sha256").update(all).digest());
}

/** A 110-byte KDF-DO as gpg's kdf-setup builds it (g10/card-util.c gen_kdf_data). */
function kdfDo(count: number, salts: Uint8Array[]): Uint8Array {
  const [user, reset, admin] = salts as [Uint8Array, Uint8Array, Uint8Array];
  return concat(
    fromHex("810103820108"),
    fromHex("8304"),
    uintBE(count, 4),
    fromHex("8408"),
    user,
    fromHex("8508"),
    reset,
    fromHex("8608"),
    admin,
    fromHex("8720"),
    naiveS2k(utf8(PW1), user, count),
    fromHex("8820"),
    naiveS2k(utf8(PW3), admin, count),
  );
}

Deno.test("iteratedSaltedS2k() matches RFC 4880 for short and long counts", () => {
  const salt = fromHex("0102030405060708");
  for (const count of [1, 14, 100, 65536, 200003]) {
    assertEquals(
      iteratedSaltedS2k({ hash: 0x08, count }, utf8(PW1), salt),
      naiveS2k(utf8(PW1), salt, count),
    );
  }
});

Deno.test("parseKdfDo() accepts 'off' and the 110-byte form, rejects malformed ones", () => {
  assertEquals(parseKdfDo(fromHex("810100")).algorithm, 0);
  const salts = [randomBytes(8), randomBytes(8), randomBytes(8)];
  const p = parseKdfDo(kdfDo(1024, salts));
  assertEquals([p.algorithm, p.hash, p.count, p.saltPw3], [3, 8, 1024, new Uint8Array(salts[2]!)]);
  for (
    const bad of [
      "810104",
      "8201088304000004008408AABBCCDDEEFF0011",
      "810103820101830400000400840811",
    ]
  ) {
    let sw = 0;
    try {
      parseKdfDo(fromHex(bad));
    } catch (e) {
      sw = (e as { sw: number }).sw;
    }
    assertEquals(sw, 0x6a80, bad);
  }
});

Deno.test("KDF-DO written the way gnupg's scdaemon does it leaves hashed default PINs", async () => {
  const card = await openSelected();
  const salts = [randomBytes(8), randomBytes(8), randomBytes(8)].map((b) => new Uint8Array(b));
  const value = kdfDo(65536, salts);
  const u = value.subarray(44, 76);
  const a = value.subarray(78, 110);
  // scd/app-openpgp.c do_setattr (special 4): CHANGE 83 old‖a, VERIFY 83 a, RESET 02 81 u,
  // PUT DATA D3 empty, PUT DATA F9.
  assertEquals((await send(card, apdu(0x240083, concat(utf8(PW3), a)))).sw, 0x9000);
  assertEquals(await verifyPin(card, 0x83, a), 0x9000);
  assertEquals((await send(card, apdu(0x2c0281, u))).sw, 0x9000);
  assertEquals(await putData(card, 0xd3, new Uint8Array(0)), 0x9000);
  assertEquals(await putData(card, 0xf9, value), 0x9000);
  assertEquals((await getData(card, 0xf9)).data, value);
  // Security status is gone; the transformed PINs verify, the plain ones do not.
  assertEquals((await send(card, "0020008300")).sw, 0x63c3);
  assertEquals(await verifyPin(card, 0x83, PW3), 0x63c2);
  assertEquals(await verifyPin(card, 0x83, a), 0x9000);
  assertEquals(await verifyPin(card, 0x81, u), 0x9000);
  assertEquals(Array.from((await getData(card, 0xc4)).data.subarray(4)), [3, 0, 3]);
});

Deno.test("KDF-DO without initial hashes: the card derives them; 'off' restores plain PINs", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xd3, utf8("reset-code-1"));
  const salt = fromHex("1122334455667788");
  const value = concat(fromHex("8101038201088304"), uintBE(4096, 4), fromHex("8408"), salt);
  assertEquals(await putData(card, 0xf9, value), 0x9000);
  assertEquals(Array.from((await getData(card, 0xc4)).data.subarray(4)), [3, 0, 3]);
  assertEquals(await verifyPin(card, 0x82, naiveS2k(utf8(PW1), salt, 4096)), 0x9000);
  assertEquals(await verifyPin(card, 0x83, naiveS2k(utf8(PW3), salt, 4096)), 0x9000);
  assertEquals(await putData(card, 0xf9, fromHex("810100")), 0x9000);
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  assertEquals(await putData(card, 0xf9, fromHex("810107")), 0x6a80);
  await send(card, "0020FF83");
  assertEquals(await putData(card, 0xf9, fromHex("810100")), 0x6982);
});

Deno.test("KDF-DO written directly after VERIFY PW3 (gnupg 2.2) installs its 87/88 hashes", async () => {
  const card = await openSelected();
  const salt = new Uint8Array(randomBytes(8));
  const count = 1024;
  // The 90-byte single-salt form of g10/card-util.c gen_kdf_data.
  const value = concat(
    fromHex("8101038201088304"),
    uintBE(count, 4),
    fromHex("8408"),
    salt,
    fromHex("8720"),
    naiveS2k(utf8(PW1), salt, count),
    fromHex("8820"),
    naiveS2k(utf8(PW3), salt, count),
  );
  assertEquals(value.length, 90);
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals(await putData(card, 0xf9, value), 0x9000);
  assertEquals(await verifyPin(card, 0x83, naiveS2k(utf8(PW3), salt, count)), 0x9000);
  assertEquals(await verifyPin(card, 0x81, naiveS2k(utf8(PW1), salt, count)), 0x9000);
  assertEquals(await verifyPin(card, 0x82, PW1), 0x63c2);
});

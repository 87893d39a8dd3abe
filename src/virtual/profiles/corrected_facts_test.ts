/**
 * Issue 19: each fact the profiles had wrong, asserted as the card now answers it (the values
 * of the table; sources beside the values in the profile files and in docs/cards.md),
 * and the paths those facts open on the virtual card.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { findTlv } from "../../iso7816/tlv.ts";
import { toHex } from "../../util/bytes.ts";
import {
  apdu,
  extApdu,
  getData,
  openSelected,
  PW1,
  PW3,
  send,
  sendAll,
  verifyPin,
} from "../../../tests/support/virtual_apdu.ts";
import { VirtualCard } from "../card.ts";
import { profileByName } from "./mod.ts";

const hexOf = async (profile: string, tag: number) =>
  toHex((await getData(await openSelected({ profile }), tag)).data);

Deno.test("yubikey5 (firmware 5.7): 5F52, 7F66, RSA attributes, C0 as a real YubiKey 5 dump", async () => {
  assertEquals(await hexOf("yubikey5", 0x5f52), "00730000E0059000");
  assertEquals(await hexOf("yubikey5", 0x7f66), "02020BFE02020BFE");
  assertEquals(await hexOf("yubikey5", 0xc0), "7D000BFE080000FF0000");
  for (const tag of [0xc1, 0xc2, 0xc3, 0xda]) {
    assertEquals(await hexOf("yubikey5", tag), "010800001100", tag.toString(16));
  }
  assertEquals(profileByName("yubikey5").capabilities.verifyResetP1FF, true);
});

Deno.test("yubikey5: the attestation slot makes C5/C6 80 bytes, CD 16, DE list 81", async () => {
  const card = await openSelected({ profile: "yubikey5" });
  assertEquals((await getData(card, 0xc5)).data.length, 80);
  assertEquals((await getData(card, 0xc6)).data.length, 80);
  assertEquals((await getData(card, 0xcd)).data.length, 16);
  assertEquals(toHex((await getData(card, 0xde)).data), "0100020003008102");
  assertEquals(toHex((await getData(card, 0xdb)).data), "00".repeat(20));
  assertEquals(toHex((await getData(card, 0xdd)).data), "00000000");
  assertEquals(toHex((await getData(card, 0xd9)).data), "0020");
  // 6E as the dump lays it out: 7F66 and D6–D9 inside 73, after DE
  const ard = (await getData(card, 0x6e)).data;
  const tags = toHex(ard);
  assert(tags.indexOf("DE08") < tags.indexOf("7F6608"), tags);
  assertEquals(toHex(findTlv(ard, 0x7f66)!), "02020BFE02020BFE");
  assertEquals(findTlv(ard, 0xc5)!.length, 80);
  // a card without a fourth slot has none of its DOs
  const plain = await openSelected();
  assertEquals((await getData(plain, 0xda)).sw, 0x6a88);
  assertEquals((await getData(plain, 0xc5)).data.length, 60);
});

Deno.test("yubikey5: extended APDUs up to 7F66's 3070 bytes; over it 6700; answers capped", async () => {
  const card = await openSelected({ profile: "yubikey5" });
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  const cert = new Uint8Array(2048).fill(0x30); // C0: certificates up to 2048 bytes
  assertEquals((await send(card, extApdu(0xda7f21, cert).subarray(0, -2))).sw, 0x9000);
  const whole = await send(card, extApdu(0xca7f21, new Uint8Array(0)));
  assertEquals([whole.data.length, whole.sw], [2048, 0x9000]);
  const over = new Uint8Array(3071).fill(0x31);
  assertEquals((await send(card, extApdu(0xda0102, over).subarray(0, -2))).sw, 0x6700);
  // the same data chained is accepted as far as the DO's own limit
  assertEquals((await send(card, apdu(0xda0102, over.subarray(0, 200)))).sw, 0x9000);
});

Deno.test("an extended answer longer than 7F66's response maximum goes out through 61xx", async () => {
  // yubikey5 with a 1000-byte response limit, so a 2048-byte certificate exceeds it
  const small = { ...profileByName("yubikey5"), extendedLengthInfo: "02020BFE020203E8" };
  const card = await openSelected({ profile: small });
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  const cert = new Uint8Array(2048).fill(0x30);
  assertEquals((await send(card, extApdu(0xda7f21, cert).subarray(0, -2))).sw, 0x9000);
  const first = await send(card, extApdu(0xca7f21, new Uint8Array(0)));
  assertEquals([first.data.length, first.sw], [1000, 0x6100]);
  const r = await sendAll(card, extApdu(0xca7f21, new Uint8Array(0)));
  assertEquals([r.data.length, r.sw], [2048, 0x9000]);
});

Deno.test("yubikey5-fw54: VERIFY P1=FF and the status query answer 6A80; PIN stays verified", async () => {
  const card = await openSelected({ profile: "yubikey5-fw54" });
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  assertEquals((await send(card, "0020FF81")).sw, 0x6a80);
  assertEquals((await send(card, "00200081")).sw, 0x6a80);
  // still verified: only a reset (or SELECT) clears it on this firmware
  card.reset();
  await send(card, "00A4040006D27600012401");
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  // an empty slot's public key: 6A88 as the spec says; a 5.2.4-like profile answers 6581
  // (gnupg get_public_key "Yubikey returns wrong code")
  assertEquals((await send(card, "0047810002B60000")).sw, 0x6a88);
  const fw524 = {
    ...profileByName("yubikey5-fw54"),
    status: { ...profileByName("yubikey5-fw54").status, noPublicKey: 0x6581 },
  };
  assertEquals((await send(await openSelected({ profile: fw524 }), "0047810002B60000")).sw, 0x6581);
});

Deno.test("yubikey4 (4.3+): C0, 7F74, UIF outside 6E, RSA 2048/3072/4096 with 17-bit exponent", async () => {
  assertEquals(await hexOf("yubikey4", 0xc0), "3C00000004C000FF00FF");
  assertEquals(await hexOf("yubikey4", 0x7f74), "810120");
  assertEquals(await hexOf("yubikey4", 0xc1), "010800001100");
  assertEquals(await hexOf("yubikey4", 0xd6), "0020");
  const ard = (await getData(await openSelected({ profile: "yubikey4" }), 0x6e)).data;
  assertEquals(findTlv(ard, 0xd6), undefined);
  assert(findTlv(ard, 0x7f74) !== undefined);
  assertEquals(profileByName("yubikey4").capabilities.algorithms.sig, [
    "rsa2048",
    "rsa3072",
    "rsa4096",
  ]);
});

Deno.test("PIN valid for one signature: smartpgp and nitrokey-pro2 (C4 byte 0 = 00)", async () => {
  for (const profile of ["smartpgp", "nitrokey-pro2"]) {
    assertEquals((await hexOf(profile, 0xc4)).slice(0, 2), "00", profile);
  }
  assertEquals((await hexOf("yubikey5", 0xc4)).slice(0, 2), "01");
});

Deno.test("nitrokey-pro2: KDF announced and present, ATR from OpenSC, 5F52 status 05", async () => {
  assertEquals(await hexOf("nitrokey-pro2", 0xc0), "7D000800080000FF0000");
  assertEquals(await hexOf("nitrokey-pro2", 0xf9), "810100");
  assertEquals(await hexOf("nitrokey-pro2", 0x5f52), "0031F573C00160059000");
  const card = await VirtualCard.open({ profile: "nitrokey-pro2" });
  assertEquals(toHex(card.atr), "3BDA18FF81B1FE751F030031F573C001600090001C");
});

Deno.test("zeitcontrol21: 5F52 status 05, factory reset, RSA 4096", async () => {
  assertEquals(await hexOf("zeitcontrol21", 0x5f52), "0031C573C00140059000");
  const zc = profileByName("zeitcontrol21");
  assertEquals(zc.capabilities.factoryReset, true);
  assert(zc.capabilities.algorithms.dec.includes("rsa4096"));
  const card = await openSelected({ profile: "zeitcontrol21" });
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  assertEquals((await send(card, "00E60000")).sw, 0x9000);
  assertEquals((await send(card, "00440000")).sw, 0x9000);
});

Deno.test("nitrokey3: the ATR says Nitrokey and has no capability bytes", async () => {
  const card = await VirtualCard.open({ profile: "nitrokey3" });
  assertEquals(toHex(card.atr), "3B8F01805D4E6974726F6B657900000000006A");
  assertEquals(profileByName("nitrokey3").latency.rules.find((r) => r.ins === 0xca)?.ms, 127);
});

Deno.test("gnuk: RSA 4096 offered and listed in FA", async () => {
  const fa = (await getData(await openSelected({ profile: "gnuk" }), 0xfa)).data;
  assert(toHex(fa).includes("C106011000002000"), toHex(fa));
});

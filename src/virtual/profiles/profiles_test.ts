import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import { fromHex, utf8 } from "../../util/bytes.ts";
import {
  apdu,
  extApdu,
  getData,
  openSelected,
  putData,
  PW1,
  PW3,
  send,
  verifyPin,
} from "../../../tests/support/virtual_apdu.ts";
import { VirtualCard } from "../card.ts";
import { algorithmNameOf, attributesOf, DEFAULT_PROFILE, profileByName, PROFILES } from "./mod.ts";

const ED25519 = fromHex(attributesOf("ed25519", 0));

Deno.test("profileByName() finds every profile and lists the valid names otherwise", () => {
  assertEquals(DEFAULT_PROFILE, "openpgp34");
  for (const name of Object.keys(PROFILES)) assertEquals(profileByName(name).name, name);
  assertThrows(
    () => profileByName("yubikey9"),
    /use one of openpgp34, yubikey5, yubikey5-fw54, yubikey4/,
  );
});

Deno.test("every profile's data is consistent with itself", () => {
  for (const p of Object.values(PROFILES)) {
    const c0 = fromHex(p.extendedCapabilities);
    assertEquals(c0.length, 10, p.name);
    assertEquals((c0[0]! & 0x01) !== 0, p.capabilities.kdf, `${p.name}: C0 KDF bit`);
    assertEquals((c0[0]! & 0x04) !== 0, p.capabilities.keyAttrChangeable, `${p.name}: C0 attr`);
    assertEquals(p.generalFeatureManagement !== null, p.capabilities.uif, `${p.name}: 7F74/UIF`);
    for (const slot of [0, 1, 2] as const) {
      const names = p.capabilities.algorithms[(["sig", "dec", "aut"] as const)[slot]];
      assert(names.length > 0, p.name);
      for (const n of names) assertEquals(algorithmNameOf(attributesOf(n, slot)), n);
    }
    if (p.atr !== undefined) {
      const atr = fromHex(p.atr);
      assertEquals(atr.slice(1).reduce((a, b) => a ^ b, 0), 0, `${p.name}: ATR TCK`);
    }
  }
});

Deno.test("the default profile's card answers as before: 3.4, FFFE, P1=FF, KDF, no MSE", async () => {
  const card = await openSelected({ serial: 0x12345678 });
  assertEquals((await getData(card, 0x4f)).data, fromHex("D276000124010304FFFE123456780000"));
  assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
  assertEquals((await send(card, "0020FF81")).sw, 0x9000);
  assertEquals((await getData(card, 0xf9)).sw, 0x9000);
  assertEquals((await send(card, "002241B8038301 03".replace(" ", ""))).sw, 0x6d00);
});

Deno.test("a 2.x card without VERIFY P1=FF answers it with the profile's status word", async () => {
  for (const [name, sw] of [["zeitcontrol21", 0x6a86], ["yubikey4", 0x6b00]] as const) {
    const card = await openSelected({ profile: name });
    assertEquals(await verifyPin(card, 0x81, PW1), 0x9000);
    assertEquals((await send(card, "0020FF81")).sw, sw, name);
    // the PIN stays verified: only a reset or a new SELECT clears it on such a card
    assertEquals((await send(card, "00200081")).sw, 0x9000, name);
    card.reset();
    await send(card, "00A4040006D27600012401");
    assertEquals((await send(card, "00200081")).sw, 0x63c3, name);
  }
});

Deno.test("a card without KDF, UIF or FA has no such DOs (GET and PUT DATA: 6A88)", async () => {
  const card = await openSelected({ profile: "zeitcontrol21" });
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  for (const tag of [0xf9, 0xd6, 0xfa, 0x7f74]) {
    assertEquals((await getData(card, tag)).sw, 0x6a88, tag.toString(16));
  }
  assertEquals(await putData(card, 0xf9, fromHex("810100")), 0x6a88);
  assertEquals(await putData(card, 0xd6, fromHex("0120")), 0x6a88);
  // and the templates leave them out: 73 has no D6, 6E no 7F74
  const ard = (await getData(card, 0x6e)).data;
  assert(!ard.some((b, i) => b === 0xd6 && ard[i + 1] === 0x02 && ard[i + 3] === 0x20));
  const kdfCard = await openSelected({ profile: "gnuk" });
  assertEquals((await getData(kdfCard, 0xf9)).sw, 0x9000);
});

Deno.test("a 2.x card has no 7F66; an OpenPGP 3.x card reports its own", async () => {
  assertEquals((await getData(await openSelected({ profile: "gnuk" }), 0x7f66)).sw, 0x6a88);
  const nk3 = await getData(await openSelected({ profile: "nitrokey3" }), 0x7f66);
  assertEquals(nk3.data, fromHex("02021DB902021DB9"));
});

Deno.test("a card without extended length refuses extended APDUs; without chaining, chains", async () => {
  const gnuk = await openSelected({ profile: "gnuk" });
  assertEquals((await send(gnuk, extApdu(0xca006e, new Uint8Array(0)))).sw, 0x6700);
  // gnuk chains: two parts of a VERIFY arrive as one PIN
  assertEquals((await send(gnuk, apdu(0x200081, utf8("123"), undefined, 0x10))).sw, 0x9000);
  assertEquals((await send(gnuk, apdu(0x200081, utf8("456")))).sw, 0x9000);
  const zc = await openSelected({ profile: "zeitcontrol21" });
  assertEquals((await send(zc, apdu(0x200081, utf8("123"), undefined, 0x10))).sw, 0x6884);
  assertEquals((await send(zc, extApdu(0xca006e, new Uint8Array(0)))).sw & 0xff00, 0x9000);
});

Deno.test("SmartPGP (no extended length) takes long data only chained, answers via 61xx", async () => {
  const card = await openSelected({ profile: "smartpgp" });
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  const cert = new Uint8Array(600).fill(0x30);
  assertEquals(await putData(card, 0x7f21, cert), 0x6700); // extended Lc: refused
  for (const [i, part] of [cert.subarray(0, 255), cert.subarray(255, 510)].entries()) {
    assertEquals((await send(card, apdu(0xda7f21, part, undefined, 0x10))).sw, 0x9000, `${i}`);
  }
  assertEquals((await send(card, apdu(0xda7f21, cert.subarray(510)))).sw, 0x9000);
  assertEquals((await send(card, extApdu(0xca7f21, new Uint8Array(0)))).sw, 0x6700);
  const first = await send(card, apdu(0xca7f21, undefined, 0));
  assertEquals([first.data.length, first.sw], [256, 0x6100]); // 344 more: "61 00"
  assertEquals((await getData(card, 0x7f21)).data, cert);
  // today's card sends the whole answer to an extended Le
  const openpgp = await openSelected();
  assertEquals(await verifyPin(openpgp, 0x83, PW3), 0x9000);
  assertEquals(await putData(openpgp, 0x7f21, cert), 0x9000);
  const whole = await send(openpgp, extApdu(0xca7f21, new Uint8Array(0)));
  assertEquals([whole.data.length, whole.sw], [600, 0x9000]);
});

Deno.test("a card offers only its algorithms and its PIN lengths", async () => {
  const yk4 = await openSelected({ profile: "yubikey4" });
  assertEquals(await verifyPin(yk4, 0x83, PW3), 0x9000);
  assertEquals(await putData(yk4, 0xc1, ED25519), 0x6a80);
  assertEquals(await putData(yk4, 0xc1, fromHex(attributesOf("rsa4096", 0))), 0x9000);
  const yk5 = await openSelected({ profile: "yubikey5" });
  assertEquals(await verifyPin(yk5, 0x83, PW3), 0x9000);
  assertEquals(await putData(yk5, 0xc1, ED25519), 0x9000);
  const zc = await openSelected({ profile: "zeitcontrol21" });
  const long = utf8("1".repeat(33));
  assertEquals(
    (await send(zc, apdu(0x240081, new Uint8Array([...utf8(PW1), ...long])))).sw,
    0x6a80,
  );
  assertEquals((await getData(zc, 0xc4)).data, fromHex("01202020030003"));
});

Deno.test("a card without GET CHALLENGE answers 6D00", async () => {
  const yk4 = await openSelected({ profile: "yubikey4" });
  assertEquals((await send(yk4, "0084000008")).sw, 0x6d00);
  const gnuk = await openSelected({ profile: "gnuk" });
  assertEquals((await send(gnuk, "0084000020")).data.length, 32);
  assertEquals((await send(gnuk, "0084000021")).sw, 0x6700);
});

Deno.test("MSE on a Nitrokey 3 moves decryption to the authentication key", async () => {
  const card = await openSelected({ profile: "nitrokey3" });
  assertEquals(await verifyPin(card, 0x83, PW3), 0x9000);
  // no key in slot 3 yet: after MSE, DECIPHER looks there and finds none
  assertEquals(await verifyPin(card, 0x82, PW1), 0x9000);
  assertEquals((await send(card, "002241B8038301 03".replace(" ", ""))).sw, 0x9000);
  assertEquals((await send(card, "002A8086020000")).sw, 0x6a88);
  assertEquals((await send(card, "002241B803830104")).sw, 0x6a80);
});

Deno.test("the AID carries the profile's version and manufacturer; the state file its profile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const statePath = `${dir}/card.json`;
    const card = await VirtualCard.open({ profile: "gnuk", statePath, serial: 0x01020304 });
    await send(card, "00A4040006D27600012401");
    assertEquals((await getData(card, 0x4f)).data, fromHex("D276000124010200F517010203040000"));
    assertEquals(JSON.parse(await Deno.readTextFile(statePath)).profile, "gnuk");
    await assertRejects(
      () => VirtualCard.open({ profile: "yubikey5", statePath }),
      /made for profile gnuk/,
    );
    await VirtualCard.open({ profile: "gnuk", statePath });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function assertRejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert(re.test((e as Error).message), (e as Error).message);
    return;
  }
  throw new Error("expected a rejection");
}

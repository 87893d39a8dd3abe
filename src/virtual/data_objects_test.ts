import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import { findTlv, parseTlvs } from "../iso7816/tlv.ts";
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
import { HISTORICAL_BYTES } from "./capabilities.ts";

Deno.test("readDataObject() 6E holds AID, historical bytes, 7F66, 7F74 and the discretionary DOs", async () => {
  const card = await openSelected({ serial: 0x12345678, manufacturer: 0xfffe });
  const { data, sw } = await getData(card, 0x6e);
  assertEquals(sw, 0x9000);
  const [top] = parseTlvs(data);
  assertEquals(top?.tag, 0x6e);
  assertEquals(parseTlvs(top!.value).map((t) => t.tag), [0x4f, 0x5f52, 0x7f66, 0x7f74, 0x73]);
  assertEquals(toHex(findTlv(data, 0x4f)!), "D276000124010304FFFE1234567800" + "00");
  assertEquals(findTlv(data, 0x5f52), HISTORICAL_BYTES);
  assertEquals(toHex(findTlv(data, 0x7f74)!), "810120");
  const dd = findTlv(data, 0x73)!;
  assertEquals(
    parseTlvs(dd).map((t) => t.tag),
    [0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xcd, 0xde, 0xd6, 0xd7, 0xd8],
  );
  assertEquals(toHex(findTlv(dd, 0xc1)!), "010800002000");
  assertEquals(toHex(findTlv(dd, 0xc4)!), "017F7F7F030003");
  assertEquals(toHex(findTlv(dd, 0xde)!), "010002000300");
  assertEquals(toHex(findTlv(dd, 0xd6)!), "0020");
  assertEquals(findTlv(dd, 0xc5)!.length, 60);
  // C0: GET CHALLENGE, key import, PW1 status changeable, private DOs, attributes, KDF.
  assertEquals(findTlv(dd, 0xc0)![0], 0x7d);
});

Deno.test("readDataObject() answers simple DOs inside templates directly too", async () => {
  const card = await openSelected();
  assertEquals(toHex((await getData(card, 0x4f)).data).slice(0, 16), "D276000124010304");
  assertEquals((await getData(card, 0xc4)).data.length, 7);
  assertEquals((await getData(card, 0x5f52)).data, HISTORICAL_BYTES);
  assertEquals(toHex((await getData(card, 0x7a)).data), "7A0593030000" + "00");
  assertEquals(toHex((await getData(card, 0x65)).data), "65085B005F2D005F3500");
  assertEquals(toHex((await getData(card, 0xf9)).data), "810100");
  assertEquals(await getData(card, 0x5e), { data: new Uint8Array(0), sw: 0x9000 });
  assertEquals((await getData(card, 0x7f21)).sw, 0x9000);
});

Deno.test("readDataObject() answers 6A88 for unknown and write-only tags", async () => {
  const card = await openSelected();
  for (const tag of [0xd3, 0xc7, 0xd5, 0x1234, 0x5f48]) {
    assertEquals((await getData(card, tag)).sw, 0x6a88);
  }
});

Deno.test("readDataObject() FA lists every supported attribute per slot", async () => {
  const card = await openSelected();
  const { data } = await getData(card, 0xfa);
  const [fa] = parseTlvs(data);
  assertEquals(fa?.tag, 0xfa);
  const entries = parseTlvs(fa!.value).map((t) => `${t.tag.toString(16)}:${toHex(t.value)}`);
  assert(entries.includes("c1:010800002000"));
  assert(entries.includes("c1:010C00002000") && entries.includes("c3:011000002000"));
  assert(entries.includes("c2:122B060104019755010501"));
  assert(entries.includes("c1:162B06010401DA470F01"));
  assert(entries.includes("c3:132A8648CE3D030107"));
  assert(!entries.some((e) => e.startsWith("c1:12") || e.startsWith("c2:13")));
});

Deno.test("putData() cardholder DOs need PW3 and read back through 65, 5E, 5F50", async () => {
  const card = await openSelected();
  assertEquals(await putData(card, 0x5b, utf8("Doe<<John")), 0x6982);
  await verifyPin(card, 0x81, PW1);
  await verifyPin(card, 0x82, PW1);
  assertEquals(await putData(card, 0x5b, utf8("Doe<<John")), 0x6982);
  await verifyPin(card, 0x83, PW3);
  assertEquals(await putData(card, 0x5b, utf8("Doe<<John")), 0x9000);
  assertEquals(await putData(card, 0x5f2d, utf8("deen")), 0x9000);
  assertEquals(await putData(card, 0x5f35, utf8("1")), 0x9000);
  assertEquals(await putData(card, 0x5e, utf8("jdoe")), 0x9000);
  assertEquals(await putData(card, 0x5f50, utf8("https://example.org/k.asc")), 0x9000);
  const d65 = (await getData(card, 0x65)).data;
  assertEquals(findTlv(d65, 0x5b), utf8("Doe<<John"));
  assertEquals(findTlv(d65, 0x5f2d), utf8("deen"));
  assertEquals(findTlv(d65, 0x5f35), utf8("1"));
  assertEquals((await getData(card, 0x5e)).data, utf8("jdoe"));
  assertEquals((await getData(card, 0x5f50)).data, utf8("https://example.org/k.asc"));
  assertEquals(await putData(card, 0x5b, new Uint8Array(40).fill(0x41)), 0x6700);
  assertEquals(await putData(card, 0x5f35, utf8("12")), 0x6700);
  assertEquals(await putData(card, 0x4f, new Uint8Array(16)), 0x6a88);
});

Deno.test("private DOs follow the spec's read and write conditions", async () => {
  const card = await openSelected();
  const v = utf8("secret");
  assertEquals(await putData(card, 0x0101, v), 0x6982);
  await verifyPin(card, 0x81, PW1);
  assertEquals(await putData(card, 0x0101, v), 0x6982);
  await verifyPin(card, 0x82, PW1);
  assertEquals(await putData(card, 0x0101, v), 0x9000);
  assertEquals(await putData(card, 0x0103, v), 0x9000);
  assertEquals(await putData(card, 0x0102, v), 0x6982);
  await verifyPin(card, 0x83, PW3);
  assertEquals(await putData(card, 0x0102, v), 0x9000);
  assertEquals(await putData(card, 0x0104, v), 0x9000);
  await send(card, "0020FF81");
  await send(card, "0020FF83");
  assertEquals((await getData(card, 0x0101)).data, v);
  assertEquals((await getData(card, 0x0102)).data, v);
  assertEquals((await getData(card, 0x0103)).data, v);
  assertEquals((await getData(card, 0x0104)).sw, 0x6982);
  await send(card, "0020FF82");
  assertEquals((await getData(card, 0x0103)).sw, 0x6982);
  await verifyPin(card, 0x83, PW3);
  assertEquals((await getData(card, 0x0104)).data, v);
});

Deno.test("putData() writes fingerprints, CA fingerprints, times, C4 and UIF", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const fpr = new Uint8Array(20).fill(0xab);
  assertEquals(await putData(card, 0xc8, fpr), 0x9000);
  assertEquals(await putData(card, 0xcc, fpr), 0x9000);
  assertEquals(await putData(card, 0xd0, fromHex("65000000")), 0x9000);
  assertEquals(await putData(card, 0xc7, fpr.subarray(1)), 0x6700);
  assertEquals((await getData(card, 0xc5)).data.subarray(20, 40), fpr);
  assertEquals((await getData(card, 0xc6)).data.subarray(40, 60), fpr);
  assertEquals(toHex((await getData(card, 0xcd)).data), "000000000000000065000000");
  assertEquals(await putData(card, 0xc4, fromHex("00")), 0x9000);
  assertEquals((await getData(card, 0xc4)).data[0], 0);
  assertEquals(await putData(card, 0xc4, fromHex("017F7F7F")), 0x9000);
  assertEquals((await getData(card, 0xc4)).data[0], 1);
  assertEquals(await putData(card, 0xc4, fromHex("02")), 0x6a80);
  assertEquals(await putData(card, 0xc4, fromHex("0120")), 0x6700);
  assertEquals(await putData(card, 0xd7, fromHex("0120")), 0x9000);
  assertEquals(toHex((await getData(card, 0xd7)).data), "0120");
  assertEquals(await putData(card, 0xd7, fromHex("0320")), 0x6a80);
  assertEquals(await putData(card, 0xd8, fromHex("0220")), 0x9000);
  assertEquals(await putData(card, 0xd8, fromHex("0020")), 0x6985);
  assertEquals(await putData(card, 0xd5, new Uint8Array(32)), 0x9000);
  assertEquals(await putData(card, 0xd5, new Uint8Array(31)), 0x6700);
});

Deno.test("putData() algorithm attributes accept supported values per slot", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  assertEquals(await putData(card, 0xc1, fromHex("162B06010401DA470F01")), 0x9000);
  assertEquals(toHex((await getData(card, 0xc1)).data), "162B06010401DA470F01");
  assertEquals(await putData(card, 0xc2, fromHex("122B060104019755010501")), 0x9000);
  assertEquals(await putData(card, 0xc3, fromHex("010C00002000")), 0x9000);
  assertEquals(await putData(card, 0xc1, fromHex("122B060104019755010501")), 0x6a80);
  assertEquals(await putData(card, 0xc2, fromHex("132A8648CE3D030107")), 0x6a80);
  assertEquals(await putData(card, 0xc1, fromHex("010400002000")), 0x6a80);
  assertEquals(await putData(card, 0xc1, fromHex("99")), 0x6a80);
});

Deno.test("cardholder certificates: SELECT DATA picks the occurrence, GET NEXT DATA walks on", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const selectCert = (occurrence: number) =>
    send(card, apdu(0xa50004 | occurrence << 8, fromHex("60045C027F21")));
  assertEquals(await putData(card, 0x7f21, utf8("AUT cert")), 0x9000);
  assertEquals((await selectCert(2)).sw, 0x9000);
  assertEquals(await putData(card, 0x7f21, utf8("SIG cert")), 0x9000);
  assertEquals((await getData(card, 0x7f21)).data, utf8("SIG cert"));
  assertEquals((await selectCert(0)).sw, 0x9000);
  assertEquals((await getData(card, 0x7f21)).data, utf8("AUT cert"));
  assertEquals((await send(card, "00CC7F2100")).data, new Uint8Array(0));
  assertEquals((await send(card, "00CC7F2100")).data, utf8("SIG cert"));
  assertEquals((await send(card, "00CC7F2100")).sw, 0x6a88);
  assertEquals((await selectCert(3)).sw, 0x6a86);
  assertEquals((await send(card, apdu(0xa50004, fromHex("60035C015E")))).sw, 0x6a88);
  assertEquals((await send(card, apdu(0xa50004, fromHex("5C027F21")))).sw, 0x6a80);
  // SELECT of the application resets the occurrence.
  await selectCert(2);
  await send(card, "00A4040C06D27600012401");
  assertEquals((await getData(card, 0x7f21)).data, utf8("AUT cert"));
});

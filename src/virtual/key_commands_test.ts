import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createHash, createPublicKey, type KeyObject, publicEncrypt, verify } from "node:crypto";
import { constants } from "node:crypto";
import { Buffer } from "node:buffer";
import { p256 } from "@noble/curves/nist.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { concat, fromHex, readUintBE } from "../util/bytes.ts";
import { findTlv, tlv } from "../iso7816/tlv.ts";
import {
  apdu,
  extApdu,
  getData,
  openSelected,
  putData,
  PW1,
  PW3,
  send,
  sendAll,
  verifyPin,
} from "../../tests/support/virtual_apdu.ts";
import type { VirtualCard } from "./card.ts";

const CRT = { sig: "B600", dec: "B800", aut: "A400" } as const;
const SHA256_PREFIX = fromHex("3031300D060960864801650304020105000420");

function rsaPublic(template: Uint8Array): KeyObject {
  const b64 = (tag: number) => Buffer.from(findTlv(template, tag)!).toString("base64url");
  return createPublicKey({ key: { kty: "RSA", n: b64(0x81), e: b64(0x82) }, format: "jwk" });
}

async function generate(card: VirtualCard, crt: string): Promise<Uint8Array> {
  const r = await sendAll(card, `00478000 02 ${crt} 00`);
  assertEquals(r.sw, 0x9000);
  return r.data;
}

async function sign(card: VirtualCard, input: Uint8Array) {
  return await send(card, apdu(0x2a9e9a, input, 0));
}

Deno.test("generateKeyPair() needs PW3; P1 81 reads the same public key without a PIN", async () => {
  const card = await openSelected();
  assertEquals((await send(card, `00478000 02 ${CRT.sig} 00`)).sw, 0x6982);
  assertEquals((await send(card, `00478100 02 ${CRT.sig} 00`)).sw, 0x6a88);
  await verifyPin(card, 0x83, PW3);
  const generated = await generate(card, CRT.sig);
  assertEquals(generated.subarray(0, 2), fromHex("7F49"));
  assertEquals(findTlv(generated, 0x81)!.length, 256);
  await send(card, "0020FF83");
  // 7F49 of RSA 2048 is longer than 256 bytes: 61xx and GET RESPONSE, as scdaemon reads it.
  const first = await send(card, `00478100 02 ${CRT.sig} 00`);
  assertEquals([first.data.length, first.sw & 0xff00], [256, 0x6100]);
  assertEquals((await sendAll(card, `00478100 02 ${CRT.sig} 00`)).data, generated);
  assertEquals((await sendAll(card, extApdu(0x478100, fromHex(CRT.sig)))).data, generated);
  assertEquals((await getData(card, 0xde)).data, fromHex("010102000300"));
  assertEquals((await getData(card, 0xc5)).data, new Uint8Array(60));
  assertEquals((await send(card, `00478200 02 ${CRT.sig} 00`)).sw, 0x6a86);
  assertEquals((await send(card, "00478100 02 B700 00")).sw, 0x6a80);
});

Deno.test("PSO:CDS signs a DigestInfo with PW1 (81) and counts signatures", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const pub = rsaPublic(await generate(card, CRT.sig));
  const message = new TextEncoder().encode("signed by the virtual card");
  const digestInfo = concat(SHA256_PREFIX, createHash("sha256").update(message).digest());
  assertEquals((await sign(card, digestInfo)).sw, 0x6982);
  await verifyPin(card, 0x82, PW1);
  assertEquals((await sign(card, digestInfo)).sw, 0x6982);
  await verifyPin(card, 0x81, PW1);
  const r = await sign(card, digestInfo);
  assertEquals(r.sw, 0x9000);
  assert(verify("sha256", message, pub, r.data));
  assertEquals((await sign(card, digestInfo)).sw, 0x9000);
  assertEquals(readUintBE(findTlv((await getData(card, 0x7a)).data, 0x93)!), 2);
  // A new signature key restarts the counter.
  await generate(card, CRT.sig);
  assertEquals(readUintBE(findTlv((await getData(card, 0x7a)).data, 0x93)!), 0);
});

Deno.test("PSO:CDS with C4 byte 0 = 00 needs PW1 before every signature", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xc1, fromHex("132A8648CE3D030107"));
  await generate(card, CRT.sig);
  await putData(card, 0xc4, fromHex("00"));
  const digest = new Uint8Array(32).fill(7);
  await verifyPin(card, 0x81, PW1);
  assertEquals((await sign(card, digest)).sw, 0x9000);
  assertEquals((await sign(card, digest)).sw, 0x6982);
  await verifyPin(card, 0x81, PW1);
  assertEquals((await sign(card, digest)).sw, 0x9000);
});

Deno.test("PSO:DECIPHER takes a chained or extended RSA cryptogram with PW1 (82)", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  const pub = rsaPublic(await generate(card, CRT.dec));
  const secret = fromHex("0102030405060708090A0B0C0D0E0F10");
  const cryptogram = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, secret);
  const body = concat(Uint8Array.of(0x00), cryptogram);
  assertEquals((await send(card, extApdu(0x2a8086, body))).sw, 0x6982);
  await verifyPin(card, 0x82, PW1);
  // gnupg without extended length: 254-byte chunks with CLA 10, then the rest.
  assertEquals(
    (await send(card, apdu(0x2a8086, body.subarray(0, 254), undefined, 0x10))).sw,
    0x9000,
  );
  const chained = await send(card, apdu(0x2a8086, body.subarray(254), 0));
  assertEquals(chained.sw, 0x9000);
  assertEquals(chained.data.subarray(chained.data.length - secret.length), secret);
  const extended = await send(card, extApdu(0x2a8086, body));
  assertEquals(extended.data, chained.data);
  assertEquals((await send(card, apdu(0x2a8680, body.subarray(0, 10), 0))).sw, 0x6a86);
});

Deno.test("PSO:DECIPHER with X25519 returns the shared secret", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  assertEquals(await putData(card, 0xc2, fromHex("122B060104019755010501")), 0x9000);
  const cardPoint = findTlv(await generate(card, CRT.dec), 0x86)!;
  const ephemeral = x25519.utils.randomSecretKey();
  const body = tlv(0xa6, tlv(0x7f49, tlv(0x86, x25519.getPublicKey(ephemeral))));
  await verifyPin(card, 0x82, PW1);
  const r = await send(card, apdu(0x2a8086, body, 0));
  assertEquals(r.sw, 0x9000);
  assertEquals(r.data, x25519.getSharedSecret(ephemeral, cardPoint));
});

Deno.test("INTERNAL AUTHENTICATE signs with the Ed25519 authentication key", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  assertEquals(await putData(card, 0xc3, fromHex("162B06010401DA470F01")), 0x9000);
  const point = findTlv(await generate(card, CRT.aut), 0x86)!;
  const challenge = new TextEncoder().encode("ssh session id");
  assertEquals((await send(card, apdu(0x880000, challenge, 0))).sw, 0x6982);
  await verifyPin(card, 0x82, PW1);
  const r = await send(card, apdu(0x880000, challenge, 0));
  assertEquals(r.sw, 0x9000);
  assert(ed25519.verify(r.data, challenge, point));
  assertEquals((await send(card, apdu(0x880100, challenge, 0))).sw, 0x6a86);
});

Deno.test("private-key commands answer 6A88 for an empty slot", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x81, PW1);
  await verifyPin(card, 0x82, PW1);
  assertEquals((await sign(card, new Uint8Array(51))).sw, 0x6a88);
  assertEquals((await send(card, apdu(0x880000, new Uint8Array(8), 0))).sw, 0x6a88);
});

Deno.test("importKey() installs a P-256 key from a 4D template", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xc1, fromHex("132A8648CE3D030107"));
  const d = p256.utils.randomSecretKey();
  const template = tlv(0x4d, fromHex(CRT.sig), tlv(0x7f48, fromHex("9220")), tlv(0x5f48, d));
  const put = (data: Uint8Array) => send(card, apdu(0xdb3fff, data));
  assertEquals((await send(card, apdu(0xdb3ffe, template))).sw, 0x6a88);
  assertEquals((await put(fromHex("4D03B60000"))).sw, 0x6a80);
  assertEquals((await put(fromHex("5D00"))).sw, 0x6a80);
  assertEquals((await put(template)).sw, 0x9000);
  assertEquals((await getData(card, 0xde)).data, fromHex("010202000300"));
  const pub = findTlv((await sendAll(card, `00478100 02 ${CRT.sig} 00`)).data, 0x86)!;
  assertEquals(pub, p256.getPublicKey(d, false));
  await verifyPin(card, 0x81, PW1);
  const digest = createHash("sha256").update("imported").digest();
  const r = await sign(card, digest);
  assert(p256.verify(r.data, digest, pub, { prehash: false }));
  await send(card, "0020FF83");
  assertEquals((await put(template)).sw, 0x6982);
});

Deno.test("UIF makes PSO:CDS wait for touch(); reset cancels the wait with 6600", async () => {
  const card = await openSelected();
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xc1, fromHex("162B06010401DA470F01"));
  const point = findTlv(await generate(card, CRT.sig), 0x86)!;
  await putData(card, 0xd6, fromHex("0120"));
  await verifyPin(card, 0x81, PW1);
  const message = new TextEncoder().encode("touch me");
  let answered = false;
  const pending = sign(card, message).then((r) => {
    answered = true;
    return r;
  });
  while (card.touchPending === 0) await new Promise((r) => setTimeout(r, 1));
  assertEquals(answered, false);
  card.touch();
  const r = await pending;
  assertEquals(r.sw, 0x9000);
  assert(ed25519.verify(r.data, message, point));
  const cancelled = sign(card, message);
  while (card.touchPending === 0) await new Promise((r) => setTimeout(r, 1));
  card.reset();
  assertEquals((await cancelled).sw, 0x6600);
});

Deno.test("UIF auto-touch confirms after autoTouchMs", async () => {
  const card = await openSelected({ autoTouchMs: 5 });
  await verifyPin(card, 0x83, PW3);
  await putData(card, 0xc3, fromHex("162B06010401DA470F01"));
  await generate(card, CRT.aut);
  await putData(card, 0xd8, fromHex("0120"));
  await verifyPin(card, 0x82, PW1);
  assertEquals((await send(card, apdu(0x880000, new Uint8Array(16), 0))).sw, 0x9000);
});

import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { tlv } from "../iso7816/tlv.ts";
import { concat, fromHex, toHex } from "../util/bytes.ts";
import {
  ArdSyntaxError,
  atrHistoricalBytes,
  extcapText,
  parseArd,
  parseExtendedCapabilities,
  parseHistoricalBytes,
  unwrap,
} from "./ard.ts";

const FPR1 = fromHex("11".repeat(20));
const FPR3 = fromHex("33".repeat(20));

/** An ARD shaped like a YubiKey 5's (OpenPGP 3.4), built from its parts. */
export function sampleArd(options: { button?: boolean; extended?: boolean } = {}): Uint8Array {
  return tlv(
    0x6e,
    tlv(0x4f, fromHex("D2760001240103040006123456780000")),
    tlv(0x5f52, fromHex(options.extended === false ? "0073000080059000" : "00730000E0059000")),
    tlv(0x7f66, tlv(0x02, fromHex("0800")), tlv(0x02, fromHex("0800"))),
    ...(options.button === false ? [] : [tlv(0x7f74, fromHex("810120"))]),
    tlv(
      0x73,
      tlv(0xc0, fromHex("7D000BFE080000FF0000")),
      tlv(0xc1, fromHex("010800001100")),
      tlv(0xc2, fromHex("122B060104019755010501")),
      tlv(0xc3, fromHex("162B06010401DA470F01")),
      tlv(0xc4, fromHex("0120207F030003")),
      tlv(0xc5, concat(FPR1, new Uint8Array(20), FPR3)),
      tlv(0xc6, new Uint8Array(60)),
      tlv(0xcd, fromHex("6553F10000000000655400FF")),
      tlv(0xde, fromHex("010102000302")),
    ),
    tlv(0xd6, fromHex("0020")),
    tlv(0xd7, fromHex("0120")),
    tlv(0xd8, fromHex("0220")),
  );
}

Deno.test("parseArd() reads AID, capabilities and three fingerprints", () => {
  const ard = parseArd(sampleArd());
  assertEquals(ard.aid.serialNo, "D2760001240103040006123456780000");
  assertEquals(ard.historical?.capabilities, { commandChaining: true, extendedLength: true });
  assertEquals(ard.historical?.statusIndicator, 5);
  assertEquals(ard.extendedLengthInfo, { maxCommand: 2048, maxResponse: 2048 });
  assertEquals(toHex(ard.fingerprints[0]), toHex(FPR1));
  assertEquals(toHex(ard.fingerprints[1]), "00".repeat(20));
  assertEquals(toHex(ard.fingerprints[2]), toHex(FPR3));
  assertEquals(ard.generationTimes, [0x6553f100, 0, 0x655400ff]);
  assertEquals(ard.keyInformation, [{ keyRef: 1, status: 1 }, { keyRef: 2, status: 0 }, {
    keyRef: 3,
    status: 2,
  }]);
  assertEquals(ard.pwStatus.tries.pw3, 3);
  assertEquals(ard.hasButton, true);
  assertEquals(ard.uif.map((u) => u && toHex(u)), ["0020", "0120", "0220"]);
  assertEquals(ard.algorithmAttributes.map((a) => a.type), ["rsa", "ecc", "ecc"]);
});

Deno.test("parseArd() accepts the value without its 6E header", () => {
  const inner = unwrap(sampleArd(), 0x6e);
  assertEquals(parseArd(inner).aid.serial, 0x12345678);
});

Deno.test("parseArd() requires AID and PW status", () => {
  assertThrows(() => parseArd(tlv(0x6e, tlv(0xc4, fromHex("0120207F030003")))), ArdSyntaxError);
  assertThrows(
    () => parseArd(tlv(0x6e, tlv(0x4f, fromHex("D2760001240103040006123456780000")))),
    ArdSyntaxError,
  );
});

Deno.test("parseExtendedCapabilities() reads the YubiKey 5 flags", () => {
  const x = parseExtendedCapabilities(fromHex("7D000BFE080000FF0000"), 0x0304);
  assertEquals([x.secureMessaging, x.getChallenge, x.keyImport, x.pwStatusChangeable], [
    false,
    true,
    true,
    true,
  ]);
  assertEquals([x.privateDos, x.algorithmAttributesChangeable, x.aesDecrypt, x.kdf], [
    true,
    true,
    false,
    true,
  ]);
  assertEquals([x.maxChallengeLength, x.maxCertLength, x.maxSpecialLength], [
    0x0bfe,
    0x0800,
    0x00ff,
  ]);
});

Deno.test("extcapText() formats like stock's EXTCAP", () => {
  assertEquals(
    extcapText(parseArd(sampleArd())),
    "gc=1 ki=1 fc=1 pd=1 mcl3=2048 aac=1 sm=0 si=5 dec=0 bt=1 kdf=1",
  );
  assertEquals(extcapText(parseArd(sampleArd({ button: false }))).endsWith("bt=0 kdf=1"), true);
});

Deno.test("parseHistoricalBytes() reads chaining and extended-length bits", () => {
  assertEquals(parseHistoricalBytes(fromHex("0031C573C00180009000"))?.capabilities, {
    commandChaining: true,
    extendedLength: false,
  });
  assertEquals(parseHistoricalBytes(fromHex("0131C573C00180009000")), undefined);
});

Deno.test("atrHistoricalBytes() skips interface bytes", () => {
  // YubiKey 5 NFC ATR: historical bytes "Yubikey4".
  const atr = fromHex("3BF813000081 31FE15 59756269 6B657934 D4".replaceAll(" ", ""));
  assertEquals(new TextDecoder().decode(atrHistoricalBytes(atr)), "Yubikey4");
  // Two TD bytes (T=0, T=1), ten historical bytes, TCK.
  assertEquals(
    toHex(atrHistoricalBytes(fromHex("3B8A80010031C573C00180059000AA"))!),
    "0031C573C00180059000",
  );
  assertEquals(atrHistoricalBytes(fromHex("3B8A8001")), undefined);
});

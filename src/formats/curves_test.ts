import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import {
  curveBasePoint,
  curveFromOid,
  curveOid,
  CURVES,
  decodeOid,
  encodeOid,
  findCurve,
} from "./curves.ts";

// OID content bytes as OpenPGP cards carry them in algorithm attributes (OpenPGP card spec
// 3.4 §4.4.3.10 and RFC 6637/RFC 8410 OIDs).
const OIDS: [string, string][] = [
  ["1.2.840.10045.3.1.7", "2A8648CE3D030107"],
  ["1.3.132.0.34", "2B81040022"],
  ["1.3.132.0.35", "2B81040023"],
  ["1.3.6.1.4.1.11591.15.1", "2B06010401DA470F01"],
  ["1.3.6.1.4.1.3029.1.5.1", "2B060104019755010501"],
  ["1.3.36.3.3.2.8.1.1.7", "2B2403030208010107"],
  ["1.3.101.112", "2B6570"],
];

for (const [dotted, hex] of OIDS) {
  Deno.test(`encodeOid() and decodeOid() agree on ${dotted}`, () => {
    assertEquals(toHex(encodeOid(dotted)), hex);
    assertEquals(decodeOid(fromHex(hex)), dotted);
  });
}

Deno.test("decodeOid() rejects a truncated arc", () => {
  assertThrows(() => decodeOid(fromHex("2B81")), SyntaxError);
});

Deno.test("findCurve() knows names, aliases and OIDs case-insensitively", () => {
  assertEquals(findCurve("nistp256")?.name, "NIST P-256");
  assertEquals(findCurve("NIST p-384")?.name, "NIST P-384");
  assertEquals(findCurve("ed25519")?.name, "Ed25519");
  assertEquals(findCurve("cv25519")?.name, "Curve25519");
  assertEquals(findCurve("1.3.101.110")?.name, "Curve25519");
  assertEquals(findCurve("1.3.132.0.35")?.name, "NIST P-521");
  assertEquals(findCurve("P-256"), undefined);
});

Deno.test("curveFromOid() maps card OID bytes to curves", () => {
  assertEquals(curveFromOid(fromHex("2B06010401DA470F01"))?.name, "Ed25519");
  assertEquals(curveFromOid(fromHex("2B6570"))?.name, "Ed25519");
  assertEquals(curveFromOid(fromHex("2B0601")), undefined);
});

Deno.test("CURVES parameters decode and base points have the width of p", () => {
  const names = new Set<string>();
  for (const c of CURVES) {
    names.add(c.name);
    for (const v of Object.values(c.params)) fromHex(v);
    assertEquals(curveBasePoint(c).length, 1 + 2 * fromHex(c.params.p).length, c.name);
    assertEquals(findCurve(c.oid)?.name, c.name);
    assertEquals(toHex(curveOid(c)), toHex(encodeOid(c.oid)));
  }
  assertEquals(names.size, CURVES.length);
});

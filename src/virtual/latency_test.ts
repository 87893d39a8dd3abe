import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  delayFor,
  keySlotOf,
  type LatencyInput,
  latencyKeyOf,
  LatencySyntaxError,
  legacyModel,
  NITROKEY3,
  NONE,
  OPENPGP34,
  parseLatency,
} from "./latency.ts";

const RSA2048: LatencyInput["key"] = { kind: "rsa", bits: 2048 };
const RSA4096: LatencyInput["key"] = { kind: "rsa", bits: 4096 };

function apdu(hex: string, extra: Partial<LatencyInput> = {}): LatencyInput {
  const b = hex.match(/../g)!.map((x) => parseInt(x, 16));
  return { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]!, hasData: false, sw: 0x9000, ...extra };
}

const SELECT = apdu("00A4040C");
const VERIFY_PIN = apdu("00200081", { hasData: true });
const VERIFY_QUERY = apdu("00200081");
const CDS = apdu("002A9E9A", { hasData: true, key: RSA2048 });
const DECIPHER = apdu("002A8086", { hasData: true, key: RSA2048 });
const AUTH = apdu("00880000", { hasData: true, key: RSA2048 });

Deno.test("delayFor() is 0 for everything under the none model", () => {
  for (const a of [SELECT, VERIFY_PIN, CDS, DECIPHER, AUTH]) assertEquals(delayFor(NONE, a), 0);
});

Deno.test("delayFor() under openpgp34: 10 ms per APDU, 150 ms per key operation", () => {
  assertEquals([SELECT, VERIFY_PIN, CDS, DECIPHER, AUTH].map((a) => delayFor(OPENPGP34, a)), [
    10,
    10,
    150,
    150,
    150,
  ]);
  // a refused PSO (6982) did no crypto
  assertEquals(delayFor(OPENPGP34, { ...CDS, sw: 0x6982 }), 10);
  // only the last part of a chained command does the operation
  assertEquals(delayFor(OPENPGP34, { ...DECIPHER, cla: 0x10 }), 10);
  assertEquals(delayFor(OPENPGP34, { ...DECIPHER, sw: 0x6110 }), 150);
});

Deno.test("delayFor() under nitrokey3 depends on PIN data and key size", () => {
  assertEquals(delayFor(NITROKEY3, VERIFY_PIN), 800);
  assertEquals(delayFor(NITROKEY3, { ...VERIFY_PIN, sw: 0x63c2 }), 800);
  assertEquals(delayFor(NITROKEY3, VERIFY_QUERY), 15);
  assertEquals(delayFor(NITROKEY3, apdu("0020FF81")), 15);
  assertEquals(delayFor(NITROKEY3, CDS), 500);
  assertEquals(delayFor(NITROKEY3, { ...CDS, key: RSA4096 }), 1600);
  assertEquals(delayFor(NITROKEY3, { ...AUTH, key: { kind: "ecc" } }), 60);
  // SELECT 373 + GET DATA 127 = the 500 ms scd-rs's README measured for SELECT + 6E
  assertEquals(delayFor(NITROKEY3, SELECT), 373);
  assertEquals(delayFor(NITROKEY3, apdu("00CA006E00")), 127);
  assertEquals(delayFor(NITROKEY3, apdu("00CC7F2100")), 15);
});

Deno.test("legacyModel() adds the PSO time to the APDU time for key operations", () => {
  const m = legacyModel(3, 40);
  assertEquals([delayFor(m, SELECT), delayFor(m, CDS), delayFor(m, AUTH)], [3, 43, 43]);
  assertEquals(delayFor(m, apdu("00478000", { hasData: true })), 43);
  assertEquals(delayFor(m, apdu("00478100", { hasData: true })), 3);
  assertEquals(delayFor(legacyModel(5, 0), CDS), 5);
});

Deno.test("parseLatency() reads model names and INS=MS lists", () => {
  assertEquals(parseLatency("openpgp34"), OPENPGP34);
  assertEquals(parseLatency("NITROKEY3").name, "nitrokey3");
  const m = parseLatency("20=800, 2A=150,default=10");
  assertEquals(m.defaultMs, 10);
  assertEquals(m.rules, [{ ins: 0x20, ms: 800 }, { ins: 0x2a, ms: 150 }]);
  assertEquals([delayFor(m, VERIFY_QUERY), delayFor(m, DECIPHER), delayFor(m, SELECT)], [
    800,
    150,
    10,
  ]);
  const k = parseLatency("2a9e9a/rsa4096=2000,4780=99");
  assertEquals(k.rules, [{ ins: 0x2a, p1: 0x9e, p2: 0x9a, key: "rsa4096", ms: 2000 }, {
    ins: 0x47,
    p1: 0x80,
    ms: 99,
  }]);
  assertEquals(k.defaultMs, 0);
});

Deno.test("parseLatency() lets items override a named model", () => {
  const m = parseLatency("nitrokey3,20=500,A4=2,default=1");
  assertEquals([delayFor(m, VERIFY_PIN), delayFor(m, SELECT), delayFor(m, CDS)], [500, 2, 500]);
  assertEquals(delayFor(m, apdu("00CC7F2100")), 1);
});

Deno.test("parseLatency() rejects what it cannot read", () => {
  for (
    const spec of ["", "fast", "20=fast", "2=10", "20=-1", "20/dsa=5", "20=1,openpgp34", "ZZ=1"]
  ) {
    assertThrows(() => parseLatency(spec), LatencySyntaxError, spec);
  }
});

Deno.test("latencyKeyOf() reads RSA sizes and ECC from algorithm attributes", () => {
  assertEquals(latencyKeyOf("010800002000"), { kind: "rsa", bits: 2048 });
  assertEquals(latencyKeyOf("011000002003"), { kind: "rsa", bits: 4096 });
  assertEquals(latencyKeyOf("162B06010401DA470F01"), { kind: "ecc" });
  assertEquals(latencyKeyOf("12" + "2B060104019755010501"), { kind: "ecc" });
  assertEquals(latencyKeyOf(""), undefined);
});

Deno.test("keySlotOf() maps key operations to their slot", () => {
  const none = new Uint8Array(0);
  assertEquals(keySlotOf(0x2a, 0x9e, 0x9a, none), 0);
  assertEquals(keySlotOf(0x2a, 0x80, 0x86, none), 1);
  assertEquals(keySlotOf(0x88, 0, 0, none), 2);
  assertEquals(keySlotOf(0x47, 0x80, 0, Uint8Array.of(0xb8, 0)), 1);
  assertEquals(keySlotOf(0x47, 0x81, 0, Uint8Array.of(0xa4, 0)), 2);
  assertEquals(keySlotOf(0xca, 0, 0x6e, none), undefined);
});

import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { findCurve } from "../formats/curves.ts";
import { tlv } from "../iso7816/tlv.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { parseAlgorithmAttributes } from "./algorithm.ts";
import {
  eccImportTemplate,
  ImportTemplateError,
  KeyMaterialError,
  parsePublicKeyTemplate,
  rsaCrtParams,
  rsaImportTemplate,
} from "./key_material.ts";

const RSA = parseAlgorithmAttributes(fromHex("010800002000"));
const ED = parseAlgorithmAttributes(fromHex("162B06010401DA470F01"));
const CV = parseAlgorithmAttributes(fromHex("122B060104019755010501"));
const P256 = parseAlgorithmAttributes(fromHex("132A8648CE3D030107FF"));

Deno.test("parsePublicKeyTemplate() reads RSA n and e", () => {
  const resp = tlv(0x7f49, tlv(0x81, fromHex("00C5C5")), tlv(0x82, fromHex("010001")));
  const pk = parsePublicKeyTemplate(resp, RSA, 0);
  assertEquals(pk.type === "rsa" && [toHex(pk.n), toHex(pk.e)], ["C5C5", "010001"]);
});

Deno.test("parsePublicKeyTemplate() prefixes 25519 points and picks flags by slot", () => {
  const point = fromHex("AA".repeat(32));
  const resp = tlv(0x7f49, tlv(0x86, point));
  const ed = parsePublicKeyTemplate(resp, ED, 0);
  assertEquals(ed.type === "ecc" && [toHex(ed.q), ed.flags], ["40" + "AA".repeat(32), "eddsa"]);
  const cv = parsePublicKeyTemplate(resp, CV, 1);
  assertEquals(cv.type === "ecc" && cv.flags, "djb-tweak");
  const p = parsePublicKeyTemplate(
    tlv(0x7f49, tlv(0x86, fromHex("04" + "11".repeat(64)))),
    P256,
    2,
  );
  assertEquals(p.type === "ecc" && [p.q.length, p.flags], [65, undefined]);
  assertThrows(
    () => parsePublicKeyTemplate(tlv(0x7f49, tlv(0x81, point)), ED, 0),
    KeyMaterialError,
  );
  assertThrows(() => parsePublicKeyTemplate(tlv(0x5f50, point), ED, 0), KeyMaterialError);
});

Deno.test("rsaCrtParams() derives u, dp, dq from p, q, e", () => {
  // p = 61, q = 53, e = 17: u = 53^-1 mod 61 = 38, dp = 17^-1 mod 60 = 53, dq = 17^-1 mod 52 = 49.
  const k = {
    type: "rsa" as const,
    n: fromHex("0CA1"),
    e: fromHex("11"),
    p: fromHex("3D"),
    q: fromHex("35"),
  };
  const { u, dp, dq } = rsaCrtParams(k);
  assertEquals([toHex(u), toHex(dp), toHex(dq)], ["26", "35", "31"]);
});

Deno.test("rsaImportTemplate() lays out 4D for the standard format", () => {
  const k = {
    type: "rsa" as const,
    n: fromHex("0CA1"),
    e: fromHex("11"),
    p: fromHex("3D"),
    q: fromHex("35"),
  };
  const t = rsaImportTemplate(0, RSA.type === "rsa" ? RSA : (null as never), k);
  // 4D { B6 00, 7F48 {91 04 92 01 93 01}, 5F48 {00000011 3D 35} }
  assertEquals(toHex(t), "4D14" + "B600" + "7F4806910492019301" + "5F4806000000113D35");
});

Deno.test("rsaImportTemplate() adds CRT parts and n for format 3", () => {
  const crtN = parseAlgorithmAttributes(fromHex("010800001103"));
  const k = {
    type: "rsa" as const,
    n: fromHex("0CA1"),
    e: fromHex("11"),
    p: fromHex("3D"),
    q: fromHex("35"),
  };
  const t = toHex(rsaImportTemplate(2, crtN.type === "rsa" ? crtN : (null as never), k));
  assertEquals(
    t.startsWith(
      "4D" + "20" + "A400" + "7F480E" + "910392019301940195019601970 2".replaceAll(" ", ""),
    ),
    true,
  );
  assertEquals(t.endsWith("5F480A" + "000011" + "3D35" + "263531" + "0CA1"), true);
});

Deno.test("eccImportTemplate() pads d and adds q when the attributes end in FF", () => {
  const key = {
    type: "ecc" as const,
    curve: findCurve("NIST P-256")!,
    djbTweak: false,
    d: fromHex("0102"),
    q: fromHex("04AABB"),
  };
  const t = toHex(eccImportTemplate(1, P256.type === "ecc" ? P256 : (null as never), key));
  assertEquals(
    t,
    "4D" + "2F" + "B800" + "7F4804" + "92209903" + "5F4823" + "00".repeat(30) + "0102" + "04AABB",
  );
  const ed = {
    type: "ecc" as const,
    curve: findCurve("Ed25519")!,
    djbTweak: true,
    d: fromHex("00" + "55".repeat(32)),
  };
  const t2 = toHex(eccImportTemplate(0, ED.type === "ecc" ? ED : (null as never), ed));
  assertEquals(t2, "4D" + "2A" + "B600" + "7F48029220" + "5F4820" + "55".repeat(32));
  assertThrows(
    () =>
      eccImportTemplate(0, ED.type === "ecc" ? ED : (null as never), {
        ...ed,
        d: new Uint8Array(34),
      }),
    ImportTemplateError,
  );
});

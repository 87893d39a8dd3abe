import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import { type Curve, curveBasePoint, type CurveName, findCurve } from "./curves.ts";
import { keygrip, KeygripError, keygripFromSexp, keygripHex } from "./keygrip.ts";
import { encodePublicKey, type PublicKey } from "./public_key.ts";

function curve(name: CurveName): Curve {
  return findCurve(name)!;
}

const ED_Q = "40F1DFEC5C646A982424E18A052656F04B6897FB09C9ACA6FD372DA03406A6F3EF";
const CV_Q = "407D9D105521D91559B69A6EF6FC2CD4B37745CD6ADBFE2D1882C0409D221C6D25";

function rsaModulus(): Uint8Array {
  const n = new Uint8Array(256);
  n[0] = 0xc5;
  n[255] = 1;
  return n;
}

// scdaemon-protocol.md §5.3 (libgcrypt 1.10.1, cross-checked with gpg --with-keygrip), plus
// the remaining curves computed with libgcrypt 1.10.1 gcry_pk_get_keygrip via a ctypes probe
// (q = the curve's base point; no-flag variants show what the flags change).
const VECTORS: [string, PublicKey, string][] = [
  [
    "Ed25519 eddsa",
    { type: "ecc", curve: curve("Ed25519"), flags: "eddsa", q: fromHex(ED_Q) },
    "5FE5C6C2459FF5A017771F55EE5B7891319ACB35",
  ],
  ["Curve25519 djb-tweak", {
    type: "ecc",
    curve: curve("Curve25519"),
    flags: "djb-tweak",
    q: fromHex(CV_Q),
  }, "5B2D81EC292DC1894FEEEBD7F80688DB8738A75B"],
  ["NIST P-256", {
    type: "ecc",
    curve: curve("NIST P-256"),
    q: curveBasePoint(curve("NIST P-256")),
  }, "95852E917FE2C39152BA998192B5791DB15CDCF0"],
  [
    "RSA 00-prefixed n",
    { type: "rsa", n: rsaModulus(), e: fromHex("010001") },
    "5933FAA8467378B03578DCD3CAB654B0722C398B",
  ],
  ["NIST P-384", {
    type: "ecc",
    curve: curve("NIST P-384"),
    q: curveBasePoint(curve("NIST P-384")),
  }, "CACDC8B39C5DAD77B9EE85F9B99805111BBFFA34"],
  ["NIST P-521", {
    type: "ecc",
    curve: curve("NIST P-521"),
    q: curveBasePoint(curve("NIST P-521")),
  }, "B5A5C8618B1F318B75F2ABAC1398167B1BF489B7"],
  ["brainpoolP256r1", {
    type: "ecc",
    curve: curve("brainpoolP256r1"),
    q: curveBasePoint(curve("brainpoolP256r1")),
  }, "344C4CABAEFB2DE04442034EEB71DE83CA25733F"],
  ["brainpoolP384r1", {
    type: "ecc",
    curve: curve("brainpoolP384r1"),
    q: curveBasePoint(curve("brainpoolP384r1")),
  }, "5AADAF5F53DF42583A4C118216E5492FEFFC18EF"],
  ["brainpoolP512r1", {
    type: "ecc",
    curve: curve("brainpoolP512r1"),
    q: curveBasePoint(curve("brainpoolP512r1")),
  }, "2C553DA19664A4E078E63C7900AB9CFD5AD87718"],
  ["secp256k1 (a = 0)", {
    type: "ecc",
    curve: curve("secp256k1"),
    q: curveBasePoint(curve("secp256k1")),
  }, "D8575FD3F140878C64ED70EABB65B739EAED33B9"],
  [
    "Ed25519 without flags keeps 0x40",
    { type: "ecc", curve: curve("Ed25519"), q: fromHex(ED_Q) },
    "3419FCF8C44A6F0A3E2D332508E2010AA36E6176",
  ],
  ["Curve25519 without flags keeps 0x40", {
    type: "ecc",
    curve: curve("Curve25519"),
    q: fromHex(CV_Q),
  }, "E01B26BB5F931F981B35981417FA370A9FC2CCF9"],
  [
    "X448",
    { type: "ecc", curve: curve("X448"), q: new Uint8Array(56).fill(7) },
    "07E41B0659197D0BFC2205E55B274F6AEF740E05",
  ],
  ["Ed448 eddsa", {
    type: "ecc",
    curve: curve("Ed448"),
    flags: "eddsa",
    q: new Uint8Array(57).fill(9),
  }, "3C21D0A25DDCEC03CC5CCE8E0BDED948932A3048"],
];

for (const [name, pk, grip] of VECTORS) {
  Deno.test(`keygrip() matches libgcrypt for ${name}`, () => {
    assertEquals(keygripHex(pk), grip);
  });
  Deno.test(`keygripFromSexp() matches libgcrypt for ${name}`, () => {
    assertEquals(toHex(keygripFromSexp(encodePublicKey(pk))), grip);
  });
}

Deno.test("keygrip() accepts a compact 32-byte Ed25519 point", () => {
  const q = fromHex(ED_Q).subarray(1);
  assertEquals(
    keygripHex({ type: "ecc", curve: curve("Ed25519"), flags: "eddsa", q }),
    VECTORS[0]![2],
  );
});

Deno.test("keygrip() strips leading zeros of the RSA modulus before adding the sign byte", () => {
  const n = new Uint8Array(257);
  n.set(rsaModulus(), 1);
  assertEquals(keygripHex({ type: "rsa", n, e: fromHex("03") }), VECTORS[3]![2]);
});

Deno.test("keygripFromSexp() hashes the n atom as written (no sign byte gives another grip)", () => {
  const n = rsaModulus();
  const text = "(10:public-key(3:rsa(1:n256:" + String.fromCharCode(...n) +
    ")(1:e3:\x01\x00\x01)))";
  const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
  const grip = toHex(keygripFromSexp(bytes));
  assertEquals(grip === VECTORS[3]![2], false);
  assertEquals(grip.length, 40);
});

Deno.test("keygrip() refuses compressed Weierstrass points", () => {
  const q = fromHex("02" + "11".repeat(32));
  assertThrows(() => keygrip({ type: "ecc", curve: curve("NIST P-256"), q }), KeygripError);
  assertThrows(() => keygripFromSexp(utf8("(3:foo)")));
});

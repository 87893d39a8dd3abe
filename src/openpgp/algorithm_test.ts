import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { fromHex, toHex } from "../util/bytes.ts";
import {
  algorithmString,
  encodeAlgorithmAttributes,
  isDjbTweak,
  keyAttrText,
  parseAlgorithmAttributes,
} from "./algorithm.ts";

const P = (hex: string) => parseAlgorithmAttributes(fromHex(hex));

Deno.test("parseAlgorithmAttributes() reads RSA in the 5- and 6-byte forms", () => {
  assertEquals(P("010800002000"), {
    type: "rsa",
    nBits: 2048,
    eBits: 32,
    format: 0,
    raw: fromHex("010800002000"),
  });
  const r = P("0110000011");
  assertEquals(r.type === "rsa" && [r.nBits, r.eBits, r.format], [4096, 17, 0]);
  assertEquals(P("0110000011030A").type, "unknown");
  const odd = P("010800002007");
  assertEquals(odd.type === "rsa" && odd.format, 7);
});

Deno.test("parseAlgorithmAttributes() reads ECC with and without the import byte", () => {
  const ed = P("162B06010401DA470F01");
  assertEquals(ed.type === "ecc" && [ed.algo, ed.curve.name, ed.pubkeyInImport], [
    22,
    "Ed25519",
    false,
  ]);
  const cv = P("122B060104019755010501FF");
  assertEquals(cv.type === "ecc" && [cv.algo, cv.curve.name, cv.pubkeyInImport], [
    18,
    "Curve25519",
    true,
  ]);
  const p256 = P("132A8648CE3D03010700");
  assertEquals(p256.type === "ecc" && [p256.curve.name, p256.pubkeyInImport], [
    "NIST P-256",
    false,
  ]);
  assertEquals(P("132B0601").type, "unknown");
  const bogus = P("162B06010401DA470F0117");
  assertEquals(bogus.type === "ecc" && [bogus.curve.name, bogus.pubkeyInImport], [
    "Ed25519",
    false,
  ]);
});

Deno.test("encodeAlgorithmAttributes() inverts parsing", () => {
  for (
    const hex of [
      "010800002000",
      "162B06010401DA470F01",
      "122B060104019755010501FF",
      "132B81040022",
    ]
  ) {
    assertEquals(toHex(encodeAlgorithmAttributes(P(hex))), hex);
  }
});

Deno.test("isDjbTweak() is set for EdDSA/Ed25519 and ECDH/Curve25519 only", () => {
  assertEquals(isDjbTweak(P("162B06010401DA470F01")), true);
  assertEquals(isDjbTweak(P("122B060104019755010501")), true);
  assertEquals(isDjbTweak(P("132B06010401DA470F01")), false);
  assertEquals(isDjbTweak(P("122A8648CE3D030107")), false);
});

// send_key_attr lines for 2.4 (card byte) and 2.2 (derived algorithm), scdaemon-protocol.md §4.
const KEY_ATTR: [number, string, string, string][] = [
  [1, "010800002000", "1 1 rsa2048 32 1", "1 1 rsa2048 32 1"],
  [1, "0110000011", "1 1 rsa4096 17 1", "1 1 rsa4096 17 1"],
  [3, "010C00002003", "3 1 rsa3072 32 4", "3 1 rsa3072 32 4"],
  [3, "010C00002009", "3 1 rsa3072 32 0", "3 1 rsa3072 32 0"],
  [1, "162B06010401DA470F01", "1 22 Ed25519", "1 22 Ed25519"],
  [2, "122B060104019755010501", "2 18 Curve25519", "2 18 Curve25519"],
  [3, "132A8648CE3D030107", "3 19 NIST P-256", "3 19 NIST P-256"],
  [2, "132A8648CE3D030107", "2 19 NIST P-256", "2 18 NIST P-256"],
  [1, "00", "1 1 rsa0 0 0", "1 1 rsa0 0 0"],
];

for (const [keyNo, hex, v24, v22] of KEY_ATTR) {
  Deno.test(`keyAttrText() for slot ${keyNo} ${hex}`, () => {
    assertEquals(keyAttrText(keyNo, P(hex), "2.4"), v24);
    assertEquals(keyAttrText(keyNo, P(hex), "2.2"), v22);
  });
}

Deno.test("algorithmString() names attributes like gpg", () => {
  assertEquals(algorithmString(P("010C00002000")), "rsa3072");
  assertEquals(algorithmString(P("162B06010401DA470F01")), "ed25519");
  assertEquals(algorithmString(P("122B060104019755010501")), "cv25519");
  assertEquals(algorithmString(P("132B81040023")), "nistp521");
  assertEquals(algorithmString(P("132B0601")), "E_error");
  assertEquals(algorithmString(P("11")), "unknown_17");
});

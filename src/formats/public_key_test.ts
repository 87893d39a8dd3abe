import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import { findCurve } from "./curves.ts";
import {
  encodePublicKey,
  parsePublicKey,
  type PublicKey,
  publicKeyAlgoString,
  rsaBits,
  signedMpi,
} from "./public_key.ts";
import { SexpSyntaxError } from "./sexp.ts";

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

Deno.test("signedMpi() strips zeros and adds a sign byte when needed", () => {
  assertEquals(toHex(signedMpi(fromHex("0000C5"))), "00C5");
  assertEquals(toHex(signedMpi(fromHex("00010001"))), "010001");
  assertEquals(toHex(signedMpi(fromHex("7F"))), "7F");
});

Deno.test("encodePublicKey() writes RSA like scdaemon (257-byte n for 2048 bits)", () => {
  const n = new Uint8Array(256).fill(0xab);
  const out = latin1(encodePublicKey({ type: "rsa", n, e: fromHex("00010001") }));
  assertEquals(out.startsWith("(10:public-key(3:rsa(1:n257:\x00\xab"), true);
  assertEquals(out.endsWith(")(1:e3:\x01\x00\x01)))"), true);
});

Deno.test("encodePublicKey() writes the ECC forms of READKEY", () => {
  const q = fromHex("40" + "11".repeat(32));
  const ed: PublicKey = { type: "ecc", curve: findCurve("Ed25519")!, flags: "eddsa", q };
  assertEquals(
    latin1(encodePublicKey(ed)),
    "(10:public-key(3:ecc(5:curve7:Ed25519)(5:flags5:eddsa)(1:q33:" + latin1(q) + ")))",
  );
  const cv: PublicKey = { type: "ecc", curve: findCurve("Curve25519")!, flags: "djb-tweak", q };
  assertEquals(
    latin1(encodePublicKey(cv)),
    "(10:public-key(3:ecc(5:curve10:Curve25519)(5:flags9:djb-tweak)(1:q33:" + latin1(q) + ")))",
  );
  const p = fromHex("04" + "22".repeat(64));
  const nist: PublicKey = { type: "ecc", curve: findCurve("NIST P-256")!, q: p };
  assertEquals(
    latin1(encodePublicKey(nist)),
    "(10:public-key(3:ecc(5:curve10:NIST P-256)(1:q65:" + latin1(p) + ")))",
  );
});

Deno.test("parsePublicKey() reads back what encodePublicKey() writes", () => {
  const keys: PublicKey[] = [
    { type: "rsa", n: fromHex("C5".repeat(128)), e: fromHex("010001") },
    {
      type: "ecc",
      curve: findCurve("Ed25519")!,
      flags: "eddsa",
      q: fromHex("40" + "11".repeat(32)),
    },
    { type: "ecc", curve: findCurve("NIST P-384")!, q: fromHex("04" + "33".repeat(96)) },
  ];
  for (const pk of keys) assertEquals(parsePublicKey(encodePublicKey(pk)), pk);
});

Deno.test("parsePublicKey() rejects unknown curves and missing parts", () => {
  assertThrows(
    () => parsePublicKey(utf8("(10:public-key(3:ecc(5:curve3:foo)(1:q1:x)))")),
    SexpSyntaxError,
  );
  assertThrows(() => parsePublicKey(utf8("(10:public-key(3:rsa(1:n1:x)))")), SexpSyntaxError);
  assertThrows(() => parsePublicKey(utf8("(10:public-key(3:dsa))")), SexpSyntaxError);
});

Deno.test("publicKeyAlgoString() names keys like gpg's pubkey_algo_string", () => {
  assertEquals(
    publicKeyAlgoString({ type: "rsa", n: fromHex("00" + "C5".repeat(256)), e: fromHex("03") }),
    "rsa2048",
  );
  assertEquals(
    publicKeyAlgoString({ type: "rsa", n: fromHex("7F" + "00".repeat(383)), e: fromHex("03") }),
    "rsa3071",
  );
  assertEquals(
    publicKeyAlgoString({ type: "ecc", curve: findCurve("Curve25519")!, q: new Uint8Array(33) }),
    "cv25519",
  );
  assertEquals(
    publicKeyAlgoString({
      type: "ecc",
      curve: findCurve("brainpoolP256r1")!,
      q: new Uint8Array(65),
    }),
    "brainpoolP256r1",
  );
  assertEquals(rsaBits(fromHex("0001")), 1);
});

import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import { parsePrivateKey } from "./private_key.ts";
import { encodeSexp, sexpList, SexpSyntaxError } from "./sexp.ts";

Deno.test("parsePrivateKey() reads an RSA KEYDATA like gpg-agent's KEYTOCARD", () => {
  const s = sexpList(
    "private-key",
    sexpList(
      "rsa",
      sexpList("n", fromHex("00C5C5")),
      sexpList("e", fromHex("010001")),
      sexpList("d", fromHex("1234")),
      sexpList("p", fromHex("00E1")),
      sexpList("q", fromHex("D3")),
      sexpList("u", fromHex("05")),
    ),
    sexpList("created-at", "1700000000"),
  );
  const k = parsePrivateKey(encodeSexp(s));
  assertEquals(k.created, 1700000000);
  if (k.key.type !== "rsa") throw new Error("expected RSA");
  assertEquals(toHex(k.key.n), "C5C5");
  assertEquals(toHex(k.key.p), "E1");
  assertEquals(toHex(k.key.e), "010001");
  assertEquals(toHex(k.key.u!), "05");
});

Deno.test("parsePrivateKey() reads an ECC key with flags, q, d and ecdh-params", () => {
  const s = sexpList(
    "private-key",
    sexpList(
      "ecc",
      sexpList("curve", "Curve25519"),
      sexpList("flags", "djb-tweak"),
      sexpList("q", fromHex("40" + "AA".repeat(32))),
      sexpList("d", fromHex("BB".repeat(32))),
    ),
    sexpList("created-at", "0000000042"),
    sexpList("ecdh-params", fromHex("03010807")),
  );
  const k = parsePrivateKey(encodeSexp(s));
  assertEquals(k.created, 42);
  assertEquals(toHex(k.ecdhParams!), "03010807");
  if (k.key.type !== "ecc") throw new Error("expected ECC");
  assertEquals(k.key.curve.name, "Curve25519");
  assertEquals(k.key.djbTweak, true);
  assertEquals(k.key.d.length, 32);
  assertEquals(k.key.q!.length, 33);
});

Deno.test("parsePrivateKey() accepts gpg's curve aliases and no flags", () => {
  const s = sexpList(
    "private-key",
    sexpList("ecc", sexpList("curve", "nistp256"), sexpList("d", fromHex("01"))),
  );
  const k = parsePrivateKey(encodeSexp(s));
  if (k.key.type !== "ecc") throw new Error("expected ECC");
  assertEquals(k.key.curve.name, "NIST P-256");
  assertEquals(k.key.djbTweak, false);
  assertEquals(k.created, 0);
});

const BAD: [string, string][] = [
  ["a public key", "(10:public-key(3:rsa(1:n1:a)(1:e1:b)))"],
  ["an unknown algorithm", "(11:private-key(3:dsa(1:p1:a)))"],
  ["a missing RSA part", "(11:private-key(3:rsa(1:n1:a)(1:e1:b)(1:p1:c)))"],
  ["a duplicate parameter", "(11:private-key(3:rsa(1:n1:a)(1:n1:a)(1:e1:b)(1:p1:c)(1:q1:d)))"],
  ["an unknown curve", "(11:private-key(3:ecc(5:curve3:foo)(1:d1:a)))"],
  ["a missing d", "(11:private-key(3:ecc(5:curve7:Ed25519)(1:q1:a)))"],
];

for (const [name, text] of BAD) {
  Deno.test(`parsePrivateKey() rejects ${name}`, () => {
    assertThrows(() => parsePrivateKey(utf8(text)), SexpSyntaxError);
  });
}

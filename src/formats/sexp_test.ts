import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import {
  atomText,
  canonicalSexpLength,
  encodeSexp,
  findAtom,
  findSexp,
  formatSexpAdvanced,
  listToken,
  parseSexp,
  sexpList,
  SexpSyntaxError,
} from "./sexp.ts";

const latin1 = (b: Uint8Array) => String.fromCharCode(...b);

Deno.test("encodeSexp() writes canonical form", () => {
  const s = sexpList("public-key", sexpList("rsa", sexpList("e", fromHex("010001"))));
  assertEquals(latin1(encodeSexp(s)), "(10:public-key(3:rsa(1:e3:\x01\x00\x01)))");
});

Deno.test("parseSexp() round-trips binary atoms", () => {
  const bytes = utf8("(3:foo(3:bar4:\x00\x01()))");
  const s = parseSexp(bytes);
  assertEquals(listToken(s), "foo");
  assertEquals(toHex(encodeSexp(s)), toHex(bytes));
  assertEquals(toHex(findAtom(s, "bar")!), "00012829");
});

Deno.test("parseSexp() accepts a zero-length atom", () => {
  assertEquals(parseSexp(utf8("(1:a0:)")), [utf8("a"), new Uint8Array(0)]);
});

const BAD: [string, string][] = [
  ["truncated list", "(1:a"],
  ["unbalanced close", ")"],
  ["atom past end", "(5:ab)"],
  ["missing colon", "(3ab)"],
  ["leading zero length", "(01:a)"],
  ["white space", "(1:a 1:b)"],
  ["display hint", "([1:x]1:a)"],
  ["trailing bytes", "(1:a)x"],
  ["empty input", ""],
];

for (const [name, text] of BAD) {
  Deno.test(`parseSexp() rejects ${name}`, () => {
    assertThrows(() => parseSexp(utf8(text)), SexpSyntaxError);
  });
}

Deno.test("canonicalSexpLength() measures the leading expression only", () => {
  assertEquals(canonicalSexpLength(utf8("(1:a(1:b))trailing")), 10);
});

Deno.test("findSexp() searches depth-first for a list by token", () => {
  const s = parseSexp(utf8("(11:private-key(3:ecc(5:curve7:Ed25519)(1:q1:Q)))"));
  assertEquals(atomText(findAtom(s, "curve")), "Ed25519");
  assertEquals(findSexp(s, "ecc")?.length, 3);
  assertEquals(findSexp(s, "nothing"), undefined);
});

// Golden outputs of libgcrypt 1.10.1 gcry_sexp_sprint(GCRYSEXP_FMT_ADVANCED) for the
// same canonical input (taken with a ctypes probe against libgcrypt.so.20).
const ADVANCED: [string, string, string][] = [
  [
    "tokens, strings, hex and the NUL quirk",
    "28313A6128313A6231313A68656C6C6F20776F726C6429363A746F6B2D656E343A39616263323A0001343A41004142363A7122275C090A313A7F323AA1A229",
    '(a \n (b "hello world")\n tok-en "9abc" #0001# A\x00AB "q\\"\\\'\\\\\\t\\n" #7F# #A1A2#)\n',
  ],
  [
    "nested lists",
    "2828313A782928313A7929313A7A2828313A77292929",
    "(\n (x)\n (y)\n z \n (\n  (w)\n  )\n )\n",
  ],
  [
    "Ed25519 public key",
    toHex(utf8("(10:public-key(3:ecc(5:curve7:Ed25519)(5:flags5:eddsa)(1:q2:\x40\x01)))")),
    "(public-key \n (ecc \n  (curve Ed25519)\n  (flags eddsa)\n  (q #4001#)\n  )\n )\n",
  ],
  [
    "curve name with a space is quoted",
    toHex(utf8("(10:public-key(3:ecc(5:curve10:NIST P-256)(1:q1:\x04)))")),
    '(public-key \n (ecc \n  (curve "NIST P-256")\n  (q #04#)\n  )\n )\n',
  ],
];

for (const [name, canon, expected] of ADVANCED) {
  Deno.test(`formatSexpAdvanced() matches libgcrypt: ${name}`, () => {
    assertEquals(latin1(formatSexpAdvanced(parseSexp(fromHex(canon)))), expected);
  });
}

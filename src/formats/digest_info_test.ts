import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { createHash } from "node:crypto";
import { concat, fromHex, toHex } from "../util/bytes.ts";
import {
  DIGEST_LENGTH,
  digestInfoPrefix,
  encodeDigestInfo,
  HASH_ALGOS,
  parseHashAlgo,
  stripDigestInfo,
} from "./digest_info.ts";

// Prefixes as listed in scdaemon-protocol.md §3 PKSIGN (scd/app-openpgp.c) and RFC 8017.
const PREFIXES: [string, string][] = [
  ["sha1", "3021300906052B0E03021A05000414"],
  ["rmd160", "3021300906052B2403020105000414"],
  ["sha224", "302D300D06096086480165030402040500041C"],
  ["sha256", "3031300D060960864801650304020105000420"],
  ["sha384", "3041300D060960864801650304020205000430"],
  ["sha512", "3051300D060960864801650304020305000440"],
  ["md5", "3020300C06082A864886F70D020505000410"],
];

for (const [name, hex] of PREFIXES) {
  Deno.test(`digestInfoPrefix() for ${name}`, () => {
    assertEquals(toHex(digestInfoPrefix(parseHashAlgo(name)!)!), hex);
  });
}

Deno.test("digestInfoPrefix() ends with the digest length (DER OCTET STRING header)", () => {
  for (const h of HASH_ALGOS) {
    if (h === "none") continue;
    const p = digestInfoPrefix(h)!;
    assertEquals(p[p.length - 1], DIGEST_LENGTH[h]);
    assertEquals(p[1], p.length - 2 + DIGEST_LENGTH[h]);
  }
});

Deno.test("stripDigestInfo() returns the digest of a matching DigestInfo", () => {
  const digest = new Uint8Array(createHash("sha256").update("abc").digest());
  const info = encodeDigestInfo("sha256", digest);
  assertEquals(toHex(stripDigestInfo("sha256", info)!), toHex(digest));
  assertEquals(stripDigestInfo("sha384", info), undefined);
  assertEquals(stripDigestInfo("sha256", digest), undefined);
  assertEquals(stripDigestInfo("sha256", concat(info, fromHex("00"))), undefined);
  assertEquals(stripDigestInfo("none", info), undefined);
});

Deno.test("encodeDigestInfo() refuses a digest of the wrong length", () => {
  assertThrows(() => encodeDigestInfo("sha1", new Uint8Array(32)), RangeError);
});

Deno.test("parseHashAlgo() knows stock's names only", () => {
  assertEquals(parseHashAlgo("sha256"), "sha256");
  assertEquals(parseHashAlgo("none"), "none");
  assertEquals(parseHashAlgo("SHA256"), undefined);
  assertEquals(parseHashAlgo("sha3-256"), undefined);
});

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  throws as assertThrows,
} from "node:assert/strict";
import {
  constants,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type JsonWebKey,
  publicEncrypt,
  randomBytes,
  verify,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { p256 } from "@noble/curves/nist.js";
import { encodeLength, encodeTag, findTlv, tlv } from "../iso7816/tlv.ts";
import { concat, fromHex, padStart, toHex } from "../util/bytes.ts";
import {
  CardCryptoError,
  computeSignature,
  decipher,
  importKey,
  publicKeyTemplate,
} from "./crypto.ts";
import { parsePrivateKeyTemplate } from "./key_import.ts";

/** Build a 4D template the way gnupg's scd does (tag/length list in 7F48, values in 5F48). */
function template(crt: number, parts: [number, Uint8Array][]): Uint8Array {
  const list = concat(...parts.map(([t, v]) => concat(encodeTag(t), encodeLength(v.length))));
  return tlv(0x4d, tlv(crt), tlv(0x7f48, list), tlv(0x5f48, ...parts.map(([, v]) => v)));
}

function jwkBytes(jwk: JsonWebKey, field: string): Uint8Array {
  return new Uint8Array(Buffer.from(jwk[field] as string, "base64url"));
}

function swOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof CardCryptoError) return e.sw;
    throw e;
  }
  throw new Error("expected a CardCryptoError");
}

const RSA2048 = fromHex("010800002000");
const RSA2048_CRT_N = fromHex("010800002003");

Deno.test("importKey() rebuilds an RSA key from e, p, q that node:crypto generated", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  const e = padStart(jwkBytes(jwk, "e"), 4); // gnupg right-aligns e to ebits/8 bytes
  const key = importKey(
    RSA2048,
    template(0xb8, [[0x91, e], [0x92, jwkBytes(jwk, "p")], [0x93, jwkBytes(jwk, "q")]]),
  );
  const t = publicKeyTemplate(key);
  assertEquals(toHex(findTlv(t, 0x81)!), toHex(jwkBytes(jwk, "n")));
  assertEquals(toHex(findTlv(t, 0x82)!), "010001");
  const secret = randomBytes(32);
  const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, secret);
  const plain = decipher(JSON.parse(JSON.stringify(key)), concat(Uint8Array.of(0), ct));
  assertEquals(toHex(plain), toHex(secret));
  const msg = randomBytes(50);
  const digestInfo = concat(
    fromHex("3031300D060960864801650304020105000420"),
    createHash("sha256").update(msg).digest(),
  );
  assert(verify("sha256", msg, publicKey, computeSignature(key, digestInfo)));
});

Deno.test("importKey() accepts the CRT+n format and checks n", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  const parts: [number, Uint8Array][] = [
    [0x91, jwkBytes(jwk, "e")],
    [0x92, jwkBytes(jwk, "p")],
    [0x93, jwkBytes(jwk, "q")],
    [0x94, jwkBytes(jwk, "qi")],
    [0x95, jwkBytes(jwk, "dp")],
    [0x96, jwkBytes(jwk, "dq")],
    [0x97, jwkBytes(jwk, "n")],
  ];
  const key = importKey(RSA2048_CRT_N, template(0xb6, parts));
  assertEquals(key.material.n, jwk.n);
  const digestInfo = concat(fromHex("3021300906052B0E03021A05000414"), new Uint8Array(20));
  const sig = computeSignature(key, digestInfo);
  assert(verify("sha1", new Uint8Array(0), createPublicKey(privateKey), sig) === false);
  const msg = randomBytes(10);
  const sha1 = concat(
    fromHex("3021300906052B0E03021A05000414"),
    createHash("sha1").update(msg).digest(),
  );
  assert(verify("sha1", msg, createPublicKey(privateKey), computeSignature(key, sha1)));
  const wrongN = jwkBytes(jwk, "n").slice();
  wrongN[10]! ^= 1;
  parts[6] = [0x97, wrongN];
  assertEquals(swOf(() => importKey(RSA2048_CRT_N, template(0xb6, parts))), 0x6a80);
});

Deno.test("importKey() rejects an RSA key whose size differs from the attributes", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  const t = template(0xa4, [
    [0x91, jwkBytes(jwk, "e")],
    [0x92, jwkBytes(jwk, "p")],
    [0x93, jwkBytes(jwk, "q")],
  ]);
  assertEquals(swOf(() => importKey(fromHex("010C00002000"), t)), 0x6a80);
  const noQ = template(0xa4, [[0x91, jwkBytes(jwk, "e")], [0x92, jwkBytes(jwk, "p")]]);
  assertEquals(swOf(() => importKey(RSA2048, noQ)), 0x6a80);
});

Deno.test("importKey() derives the public point of imported NIST keys", () => {
  const cases = [
    { crv: "P-256", attr: "132A8648CE3D030107", size: 32 },
    { crv: "P-384", attr: "122B81040022", size: 48 },
    { crv: "P-521", attr: "132B81040023", size: 66 },
  ];
  for (const c of cases) {
    const jwk = generateKeyPairSync("ec", { namedCurve: c.crv }).privateKey.export({
      format: "jwk",
    });
    const key = importKey(fromHex(c.attr), template(0xb6, [[0x92, jwkBytes(jwk, "d")]]));
    const expected = concat(
      Uint8Array.of(4),
      padStart(jwkBytes(jwk, "x"), c.size),
      padStart(jwkBytes(jwk, "y"), c.size),
    );
    assertEquals(toHex(findTlv(publicKeyTemplate(key), 0x86)!), toHex(expected), c.crv);
  }
});

Deno.test("importKey() pads a short MPI scalar and ignores the optional 99 public key", () => {
  const d = concat(Uint8Array.of(0), p256.utils.randomSecretKey().subarray(1));
  const q = p256.getPublicKey(d, false);
  const attr = fromHex("132A8648CE3D030107FF");
  const key = importKey(attr, template(0xb6, [[0x92, d.subarray(1)], [0x99, q]]));
  assertEquals(toHex(findTlv(publicKeyTemplate(key), 0x86)!), toHex(q));
  const extraZero = importKey(attr, template(0xb6, [[0x92, concat(Uint8Array.of(0, 0), d)]]));
  assertEquals(extraZero.material.d, toHex(d));
});

Deno.test("importKey() takes an Ed25519 seed as is", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const key = importKey(
    fromHex("162B06010401DA470F01"),
    template(0xb6, [[0x92, jwkBytes(jwk, "d")]]),
  );
  assertEquals(toHex(findTlv(publicKeyTemplate(key), 0x86)!), toHex(jwkBytes(jwk, "x")));
  const msg = randomBytes(40);
  assert(verify(null, msg, publicKey, computeSignature(key, msg)));
});

Deno.test("importKey() reverses a big-endian X25519 scalar, as gpg sends it", () => {
  const card = generateKeyPairSync("x25519");
  const jwk = card.privateKey.export({ format: "jwk" });
  const bigEndian = jwkBytes(jwk, "d").slice().reverse();
  const key = importKey(
    fromHex("122B060104019755010501"),
    template(0xb8, [[0x92, bigEndian]]),
  );
  assertEquals(toHex(findTlv(publicKeyTemplate(key), 0x86)!), toHex(jwkBytes(jwk, "x")));
  const host = generateKeyPairSync("x25519");
  const eph = jwkBytes(host.publicKey.export({ format: "jwk" }), "x");
  const secret = decipher(key, tlv(0xa6, tlv(0x7f49, tlv(0x86, eph))));
  const expected = diffieHellman({ privateKey: host.privateKey, publicKey: card.publicKey });
  assertEquals(toHex(secret), toHex(expected));
});

Deno.test("parsePrivateKeyTemplate() reads long lengths and rejects malformed templates", () => {
  const big = randomBytes(256);
  const parsed = parsePrivateKeyTemplate(template(0xa4, [[0x92, big], [0x93, big]]));
  assertEquals(parsed.crt, 0xa4);
  assertEquals(toHex(parsed.parts.get(0x93)!), toHex(big));
  const bad = [
    tlv(0x4c, tlv(0xb6)),
    tlv(0x4d, tlv(0xb6), tlv(0x7f48, fromHex("9201"))),
    tlv(0x4d, tlv(0x7f48, fromHex("9201")), tlv(0x5f48, fromHex("01"))),
    tlv(0x4d, tlv(0xb6), tlv(0x7f48, fromHex("9202")), tlv(0x5f48, fromHex("01"))),
    tlv(0x4d, tlv(0xb6), tlv(0x7f48, fromHex("9201")), tlv(0x5f48, fromHex("0102"))),
    tlv(0x4d, tlv(0xb6), tlv(0x7f48, fromHex("92")), tlv(0x5f48, fromHex("01"))),
    tlv(0x4d, tlv(0xb6), tlv(0x7f48, fromHex("92019201")), tlv(0x5f48, fromHex("0102"))),
    fromHex("4D05B600"),
  ];
  for (const t of bad) {
    assertThrows(
      () => parsePrivateKeyTemplate(t),
      (e: unknown) => e instanceof CardCryptoError && e.sw === 0x6a80,
      toHex(t),
    );
  }
});

Deno.test("importKey() checks the scalar range and length", () => {
  const attr = fromHex("132A8648CE3D030107");
  const zero = template(0xb6, [[0x92, new Uint8Array(32)]]);
  assertEquals(swOf(() => importKey(attr, zero)), 0x6a80);
  const n = p256.Point.CURVE().n;
  const tooBig = template(0xb6, [[0x92, fromHex(n.toString(16).toUpperCase())]]);
  assertEquals(swOf(() => importKey(attr, tooBig)), 0x6a80);
  const long = template(0xb6, [[0x92, new Uint8Array(33).fill(1)]]);
  assertEquals(swOf(() => importKey(attr, long)), 0x6a80);
});

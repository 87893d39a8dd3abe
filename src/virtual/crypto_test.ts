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
  type KeyObject,
  publicEncrypt,
  randomBytes,
  verify,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { findTlv, tlv } from "../iso7816/tlv.ts";
import { concat, fromHex, padStart } from "../util/bytes.ts";
import {
  CardCryptoError,
  type CardKey,
  computeSignature,
  decipher,
  generateKey,
  internalAuthenticate,
  publicKeyTemplate,
  supportsAttributes,
} from "./crypto.ts";

const ATTR = {
  rsa2048: fromHex("010800001100"),
  rsa3072: fromHex("010C00001100"),
  rsa4096: fromHex("011000002000"),
  ecdsaP256: fromHex("132A8648CE3D030107"),
  ecdsaP384: fromHex("132B81040022"),
  ecdsaP521: fromHex("132B81040023"),
  ecdhP256: fromHex("122A8648CE3D030107"),
  ecdhP384: fromHex("122B81040022"),
  ecdhP521: fromHex("122B81040023"),
  ed25519: fromHex("162B06010401DA470F01"),
  x25519: fromHex("122B060104019755010501"),
};

/** SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1). */
const SHA256_PREFIX = fromHex("3031300D060960864801650304020105000420");

function sha(name: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(name).update(data).digest());
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

function rsaPublic(key: CardKey): KeyObject {
  const t = publicKeyTemplate(key);
  const n = findTlv(t, 0x81)!;
  const e = findTlv(t, 0x82)!;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  return createPublicKey({ key: { kty: "RSA", n: b64(n), e: b64(e) }, format: "jwk" });
}

function point(key: CardKey): Uint8Array {
  return findTlv(publicKeyTemplate(key), 0x86)!;
}

function cipherDo(p: Uint8Array): Uint8Array {
  return tlv(0xa6, tlv(0x7f49, tlv(0x86, p)));
}

/** JSON round trip, as the store persists keys. */
function persisted(key: CardKey): CardKey {
  return JSON.parse(JSON.stringify(key));
}

Deno.test("supportsAttributes() accepts the card's algorithms and rejects others", () => {
  for (const attr of Object.values(ATTR)) assert(supportsAttributes(attr));
  assert(supportsAttributes(fromHex("010800002000"))); // 32-bit e field, as gpg writes
  assert(supportsAttributes(fromHex("0108000011"))); // no format byte
  assert(supportsAttributes(fromHex("132A8648CE3D030107FF"))); // import with public key
  for (
    const bad of [
      "",
      "010400001100", // RSA 1024
      "010800001104", // unknown import format
      "010800000300", // 3-bit exponent
      "162B060104019755010501", // EdDSA on X25519
      "132B06010401DA470F01", // ECDSA on Ed25519
      "122B06010401DA470F01", // ECDH on Ed25519
      "132B8104000A", // secp256k1
      "17",
    ]
  ) assert(!supportsAttributes(fromHex(bad)), bad);
});

Deno.test("computeSignature() makes RSA-2048 PKCS#1 v1.5 signatures that node:crypto verifies", () => {
  const key = generateKey(ATTR.rsa2048);
  assertEquals(key.attributes, Array.from(ATTR.rsa2048));
  const message = new TextEncoder().encode("hello card");
  const input = concat(SHA256_PREFIX, sha("sha256", message));
  const sig = computeSignature(persisted(key), input);
  assertEquals(sig.length, 256);
  assert(verify("sha256", message, rsaPublic(key), sig));
  const auth = internalAuthenticate(key, input);
  assert(verify("sha256", message, rsaPublic(key), auth));
});

Deno.test("decipher() returns the RSA plaintext for 00 ‖ cryptogram", () => {
  const key = generateKey(ATTR.rsa2048);
  const secret = randomBytes(35);
  const ct = publicEncrypt({ key: rsaPublic(key), padding: constants.RSA_PKCS1_PADDING }, secret);
  const out = decipher(persisted(key), concat(Uint8Array.of(0), ct));
  assertEquals(Buffer.from(out).toString("hex"), secret.toString("hex"));
  assertEquals(swOf(() => decipher(key, concat(Uint8Array.of(2), ct))), 0x6a80);
  assertEquals(swOf(() => decipher(key, new Uint8Array(ct))), 0x6700);
});

Deno.test("computeSignature() rejects RSA input longer than the modulus allows", () => {
  const key = generateKey(ATTR.rsa2048);
  assertEquals(swOf(() => computeSignature(key, new Uint8Array(246))), 0x6700);
  assertEquals(swOf(() => computeSignature(key, new Uint8Array(0))), 0x6700);
  assertEquals(computeSignature(key, new Uint8Array(245)).length, 256);
});

Deno.test("generateKey() makes RSA-3072 and RSA-4096 keys that sign verifiably", () => {
  for (const [attr, bytes] of [[ATTR.rsa3072, 384], [ATTR.rsa4096, 512]] as const) {
    const key = generateKey(attr);
    assertEquals(findTlv(publicKeyTemplate(key), 0x81)!.length, bytes);
    const message = randomBytes(100);
    const sig = computeSignature(key, concat(SHA256_PREFIX, sha("sha256", message)));
    assertEquals(sig.length, bytes);
    assert(verify("sha256", message, rsaPublic(key), sig));
  }
});

Deno.test("computeSignature() signs the given digest with ECDSA (r ‖ s) on P-256/384/521", () => {
  const cases = [
    { attr: ATTR.ecdsaP256, curve: p256, crv: "P-256", hash: "sha256", size: 32 },
    { attr: ATTR.ecdsaP384, curve: p384, crv: "P-384", hash: "sha384", size: 48 },
    { attr: ATTR.ecdsaP521, curve: p521, crv: "P-521", hash: "sha512", size: 66 },
  ] as const;
  for (const c of cases) {
    const key = generateKey(c.attr);
    const q = point(key);
    assertEquals(q.length, 1 + 2 * c.size);
    assertEquals(q[0], 0x04);
    const message = randomBytes(77);
    const digest = sha(c.hash, message);
    const sig = computeSignature(persisted(key), digest);
    assertEquals(sig.length, 2 * c.size);
    assert(c.curve.verify(sig, digest, q, { prehash: false }), c.crv);
    const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
    const pub = createPublicKey({
      key: {
        kty: "EC",
        crv: c.crv,
        x: b64(q.subarray(1, 1 + c.size)),
        y: b64(q.subarray(1 + c.size)),
      },
      format: "jwk",
    });
    assert(verify(c.hash, message, { key: pub, dsaEncoding: "ieee-p1363" }, sig), c.crv);
    const auth = internalAuthenticate(key, digest);
    assert(verify(c.hash, message, { key: pub, dsaEncoding: "ieee-p1363" }, auth), c.crv);
  }
});

Deno.test("computeSignature() signs the message with Ed25519 (R ‖ S)", () => {
  const key = generateKey(ATTR.ed25519);
  const q = point(key);
  assertEquals(q.length, 32);
  const message = randomBytes(32);
  const sig = computeSignature(persisted(key), message);
  assertEquals(sig.length, 64);
  const pub = createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(q).toString("base64url") },
    format: "jwk",
  });
  assert(verify(null, message, pub, sig));
  assert(ed25519.verify(sig, message, q));
  assert(ed25519.verify(internalAuthenticate(key, message), message, q));
});

Deno.test("decipher() answers the ECDH x-coordinate on P-256/384/521, agreeing with node:crypto", () => {
  const cases = [
    { attr: ATTR.ecdhP256, crv: "P-256", size: 32 },
    { attr: ATTR.ecdhP384, crv: "P-384", size: 48 },
    { attr: ATTR.ecdhP521, crv: "P-521", size: 66 },
  ] as const;
  const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64url");
  for (const c of cases) {
    const key = generateKey(c.attr);
    const host = generateKeyPairSync("ec", { namedCurve: c.crv });
    const jwk = host.publicKey.export({ format: "jwk" });
    const xy = (f: string | undefined) => padStart(Buffer.from(f!, "base64url"), c.size);
    const ephemeral = concat(Uint8Array.of(4), xy(jwk.x), xy(jwk.y));
    const secret = decipher(persisted(key), cipherDo(ephemeral));
    assertEquals(secret.length, c.size);
    const q = point(key);
    const cardPub = createPublicKey({
      key: {
        kty: "EC",
        crv: c.crv,
        x: b64(q.subarray(1, 1 + c.size)),
        y: b64(q.subarray(1 + c.size)),
      },
      format: "jwk",
    });
    const expected = diffieHellman({ privateKey: host.privateKey, publicKey: cardPub });
    assertEquals(Buffer.from(secret).toString("hex"), expected.toString("hex"), c.crv);
  }
});

Deno.test("decipher() answers the raw X25519 shared secret, agreeing with node:crypto", () => {
  const key = generateKey(ATTR.x25519);
  const q = point(key);
  assertEquals(q.length, 32);
  const host = generateKeyPairSync("x25519");
  const ephemeral = Buffer.from(host.publicKey.export({ format: "jwk" }).x!, "base64url");
  const secret = decipher(persisted(key), cipherDo(ephemeral));
  const cardPub = createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: Buffer.from(q).toString("base64url") },
    format: "jwk",
  });
  const expected = diffieHellman({ privateKey: host.privateKey, publicKey: cardPub });
  assertEquals(Buffer.from(secret).toString("hex"), expected.toString("hex"));
  const nobleEph = x25519.keygen();
  assertEquals(
    decipher(key, cipherDo(nobleEph.publicKey)),
    x25519.getSharedSecret(nobleEph.secretKey, q),
  );
});

Deno.test("decipher() rejects malformed ECDH input with 6A80", () => {
  const nist = generateKey(ATTR.ecdhP256);
  const x = generateKey(ATTR.x25519);
  const eph = p256.getPublicKey(p256.keygen().secretKey, false);
  assertEquals(swOf(() => decipher(nist, tlv(0x7f49, tlv(0x86, eph)))), 0x6a80);
  assertEquals(swOf(() => decipher(nist, concat(cipherDo(eph), Uint8Array.of(0)))), 0x6a80);
  assertEquals(swOf(() => decipher(nist, cipherDo(eph.subarray(0, 40)))), 0x6a80);
  const offCurve = eph.slice();
  offCurve[64]! ^= 1;
  assertEquals(swOf(() => decipher(nist, cipherDo(offCurve))), 0x6a80);
  assertEquals(swOf(() => decipher(x, cipherDo(new Uint8Array(33)))), 0x6a80);
  assertEquals(swOf(() => decipher(x, cipherDo(new Uint8Array(32)))), 0x6a80); // low order
  assertEquals(swOf(() => decipher(nist, Uint8Array.of(0xa6, 0x05))), 0x6a80);
});

Deno.test("keys refuse the operations their algorithm is not for (6985)", () => {
  const ecdh = generateKey(ATTR.ecdhP256);
  const ecdsa = generateKey(ATTR.ecdsaP256);
  const eddsa = generateKey(ATTR.ed25519);
  const x = generateKey(ATTR.x25519);
  const digest = new Uint8Array(32).fill(1);
  assertEquals(swOf(() => computeSignature(ecdh, digest)), 0x6985);
  assertEquals(swOf(() => internalAuthenticate(x, digest)), 0x6985);
  assertEquals(swOf(() => decipher(ecdsa, cipherDo(point(ecdsa)))), 0x6985);
  assertEquals(swOf(() => decipher(eddsa, cipherDo(point(eddsa)))), 0x6985);
  assertEquals(swOf(() => computeSignature(ecdsa, new Uint8Array(0))), 0x6700);
});

Deno.test("generateKey() throws CardCryptoError(6A80) for unsupported attributes", () => {
  assertThrows(
    () => generateKey(fromHex("010400001100")),
    (e: unknown) =>
      e instanceof CardCryptoError && e.sw === 0x6a80 && /RSA 1024 bits/.test(e.message),
  );
});

import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { InvalidValueError, UnsupportedAlgorithmError } from "../app/errors.ts";
import { encodeDigestInfo } from "../formats/digest_info.ts";
import { concat, fromHex, toHex } from "../util/bytes.ts";
import { parseAlgorithmAttributes } from "./algorithm.ts";
import {
  authCardInput,
  decipherCardInput,
  decipherResult,
  signCardInput,
  signDigest,
} from "./crypto_input.ts";

const RSA2048 = parseAlgorithmAttributes(fromHex("010800002000"));
const ED = parseAlgorithmAttributes(fromHex("162B06010401DA470F01"));
const CV = parseAlgorithmAttributes(fromHex("122B060104019755010501"));
const P256 = parseAlgorithmAttributes(fromHex("132A8648CE3D030107"));
const P256DH = parseAlgorithmAttributes(fromHex("122A8648CE3D030107"));
const D32 = new Uint8Array(32).fill(0x11);

Deno.test("signDigest() follows do_sign: 20 bytes raw, DigestInfo stripped, raw SHA-2 on v2", () => {
  assertEquals(signDigest("sha256", new Uint8Array(20), true).length, 20);
  assertEquals(toHex(signDigest("sha256", encodeDigestInfo("sha256", D32), true)), toHex(D32));
  assertEquals(toHex(signDigest("sha512", D32, true)), toHex(D32));
  assertEquals(signDigest("sha1", encodeDigestInfo("sha1", new Uint8Array(20)), false).length, 20);
  assertThrows(
    () => signDigest("sha256", encodeDigestInfo("sha256", D32), false),
    InvalidValueError,
  );
  assertThrows(() => signDigest("sha256", new Uint8Array(33), true), InvalidValueError);
  // A DigestInfo for another hash is not stripped and has no plain-digest length.
  assertThrows(
    () => signDigest("sha384", encodeDigestInfo("sha256", D32), true),
    InvalidValueError,
  );
});

Deno.test("signCardInput() re-prepends the DigestInfo for RSA and the auth redirect only", () => {
  assertEquals(
    toHex(signCardInput("sha256", D32, { withDigestInfo: false, isV2: true })),
    toHex(D32),
  );
  assertEquals(
    toHex(signCardInput("sha256", D32, { withDigestInfo: true, isV2: true })),
    toHex(encodeDigestInfo("sha256", D32)),
  );
  assertThrows(
    () => signCardInput("md5", new Uint8Array(16), { withDigestInfo: true, isV2: true }),
    UnsupportedAlgorithmError,
  );
  assertThrows(
    () => signCardInput("none", D32, { withDigestInfo: true, isV2: true }),
    UnsupportedAlgorithmError,
  );
});

Deno.test("authCardInput() strips 19 bytes for SHA-2 DigestInfos on ECDSA, 15 otherwise", () => {
  assertEquals(toHex(authCardInput(encodeDigestInfo("sha256", D32), P256)), toHex(D32));
  assertEquals(authCardInput(encodeDigestInfo("sha256", D32), ED).length, 51 - 15);
  assertEquals(authCardInput(encodeDigestInfo("sha1", new Uint8Array(20)), P256).length, 20);
  assertEquals(authCardInput(new Uint8Array(102), RSA2048).length, 102);
  assertThrows(() => authCardInput(new Uint8Array(103), RSA2048), InvalidValueError);
});

Deno.test("decipherCardInput() pads RSA cryptograms like do_decipher", () => {
  assertEquals(toHex(decipherCardInput(fromHex("AB".repeat(256)), RSA2048).subarray(0, 2)), "00AB");
  const short = decipherCardInput(fromHex("AB".repeat(250)), RSA2048);
  assertEquals([short.length, toHex(short.subarray(0, 8))], [257, "000000000000" + "00AB"]);
  const signed = concat(Uint8Array.of(0), fromHex("AB".repeat(256)));
  assertEquals(decipherCardInput(signed, RSA2048).length, 257);
  assertEquals(decipherCardInput(fromHex("AB".repeat(200)), RSA2048).length, 201);
  assertEquals(
    toHex(decipherCardInput(fromHex("02" + "00".repeat(16)), RSA2048)),
    "02" + "00".repeat(16),
  );
  assertThrows(() => decipherCardInput(new Uint8Array(0), RSA2048), InvalidValueError);
});

Deno.test("decipherCardInput() wraps ECDH points in A6/7F49/86", () => {
  const point = fromHex("40" + "CC".repeat(32));
  assertEquals(toHex(decipherCardInput(point, CV)), "A6257F4922" + "8620" + "CC".repeat(32));
  assertEquals(
    toHex(decipherCardInput(fromHex("CC".repeat(31)), CV)),
    "A6257F4922" + "8620" + "00" + "CC".repeat(31),
  );
  const p = fromHex("04" + "DD".repeat(64));
  assertEquals(toHex(decipherCardInput(p, P256DH)), "A6467F4943" + "8641" + toHex(p));
});

Deno.test("decipherResult() adds 40 for 25519, 41 for x-only, nothing for points", () => {
  assertEquals(toHex(decipherResult(fromHex("AA".repeat(32)), CV)), "40" + "AA".repeat(32));
  assertEquals(toHex(decipherResult(fromHex("AA".repeat(32)), P256DH)), "41" + "AA".repeat(32));
  assertEquals(
    toHex(decipherResult(fromHex("04" + "AA".repeat(64)), P256DH)),
    "04" + "AA".repeat(64),
  );
  assertEquals(decipherResult(new Uint8Array(56), P256DH).length, 56);
  assertEquals(toHex(decipherResult(fromHex("0102"), RSA2048)), "0102");
});

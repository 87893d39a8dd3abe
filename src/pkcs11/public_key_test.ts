import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { fromHex } from "../util/bytes.ts";
import { curveFromEcParams, eccPublicKey, ecPoint, PublicKeyFormatError } from "./public_key.ts";
import { tokenSerial } from "./token.ts";
import { authInput, decryptInput, signInput } from "./crypto_input.ts";
import { encodeDigestInfo, findCurve } from "../formats/mod.ts";

Deno.test("curveFromEcParams() reads OIDs and SoftHSM's printable edwards25519", () => {
  assertEquals(curveFromEcParams(fromHex("06082A8648CE3D030107")).name, "NIST P-256");
  assertEquals(curveFromEcParams(fromHex("06052B81040022")).name, "NIST P-384");
  assertEquals(curveFromEcParams(fromHex("130C656477617264733235353139")).name, "Ed25519");
  assertEquals(curveFromEcParams(fromHex("06032B6570")).name, "Ed25519");
  throws(() => curveFromEcParams(fromHex("0603550403")), PublicKeyFormatError);
});

Deno.test("ecPoint() unwraps a DER OCTET STRING and keeps a bare point", () => {
  const point = new Uint8Array(65).fill(1);
  point[0] = 4;
  assertEquals(ecPoint(Uint8Array.of(0x04, 0x41, ...point)), point);
  assertEquals(ecPoint(point), point);
});

Deno.test("eccPublicKey() prefixes Ed25519 points with 0x40 and flags them eddsa", () => {
  const pk = eccPublicKey(findCurve("Ed25519")!, new Uint8Array(32).fill(9));
  assertEquals(pk.type === "ecc" && pk.q.length, 33);
  assertEquals(pk.type === "ecc" && pk.flags, "eddsa");
});

Deno.test("X25519 params (OIDs, SoftHSM's printable curve25519) give a djb-tweak key", () => {
  for (const params of ["130A63757276653235353139", "06032B656E", "060A2B060104019755010501"]) {
    assertEquals(curveFromEcParams(fromHex(params)).name, "Curve25519", params);
  }
  const pk = eccPublicKey(findCurve("Curve25519")!, new Uint8Array(32).fill(9));
  assertEquals(pk.type === "ecc" && [pk.q[0], pk.q.length, pk.flags], [0x40, 33, "djb-tweak"]);
  throws(() => eccPublicKey(findCurve("Curve25519")!, new Uint8Array(31)), PublicKeyFormatError);
});

Deno.test("tokenSerial() is 32 hex digits from manufacturer, model and serial only", () => {
  const a = tokenSerial({ manufacturer: "M", model: "X", serialNumber: "1" });
  assertEquals(/^[0-9A-F]{32}$/.test(a), true);
  assertEquals(tokenSerial({ manufacturer: "M", model: "X", serialNumber: "1" }), a);
  // the separators keep "M"+"X1" and "MX"+"1" apart
  const b = tokenSerial({ manufacturer: "MX", model: "", serialNumber: "1" });
  assertEquals(a === b, false);
});

const RSA = { type: "rsa" as const, n: new Uint8Array(256).fill(0xff), e: Uint8Array.of(1, 0, 1) };
const P256 = { type: "ecc" as const, curve: findCurve("nistp256")!, q: new Uint8Array(65) };

Deno.test("signInput() gives RSA a DigestInfo and ECDSA the bare digest", () => {
  const digest = new Uint8Array(32).fill(3);
  const info = encodeDigestInfo("sha256", digest);
  assertEquals(signInput(RSA, "sha256", digest), info);
  assertEquals(signInput(RSA, "sha256", info), info);
  assertEquals(signInput(P256, "sha256", info), digest);
  assertEquals(signInput(P256, "sha256", digest), digest);
  assertEquals(authInput(P256, info), digest);
});

Deno.test("decryptInput() sizes an RSA cryptogram to the modulus", () => {
  assertEquals(decryptInput(RSA, new Uint8Array(255).fill(1)).length, 256);
  assertEquals(decryptInput(RSA, Uint8Array.of(0, ...new Uint8Array(256).fill(1))).length, 256);
});

Deno.test("authInput() drops gpg-agent's SHA-1 prefix before EdDSA data for ssh", () => {
  const ed = eccPublicKey(findCurve("Ed25519")!, new Uint8Array(32));
  const blob = new TextEncoder().encode("SSHSIG....");
  const prefixed = Uint8Array.of(...fromHex("3021300906052B0E03021A05000414"), ...blob);
  assertEquals(authInput(ed, prefixed), blob);
  assertEquals(authInput(ed, blob), blob);
});

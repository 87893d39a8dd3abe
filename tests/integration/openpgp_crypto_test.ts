import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import {
  constants,
  createHash,
  createPublicKey,
  publicEncrypt,
  verify as rsaVerify,
} from "node:crypto";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { p256 } from "@noble/curves/nist.js";
import { InvalidIdError, InvalidValueError, PinError } from "../../src/app/errors.ts";
import { encodeDigestInfo } from "../../src/formats/digest_info.ts";
import { keygripHex } from "../../src/formats/keygrip.ts";
import { parsePublicKey, type PublicKey } from "../../src/formats/public_key.ts";
import { concat, toHex } from "../../src/util/bytes.ts";
import { USER_PIN } from "../support/fixtures.ts";
import { type Fixture, openFixture } from "./_openpgp_fixture.ts";

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text).digest());
}

function b64url(b: Uint8Array): string {
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
}

async function generate(f: Fixture, slot: 1 | 2 | 3, algo: string): Promise<PublicKey> {
  await f.app.genKey(
    { keyRef: `OPENPGP.${slot}`, algo, force: true, timestamp: 1700000000 },
    f.ctx,
  );
  const pk = parsePublicKey(await f.app.readKey({ keyRef: `OPENPGP.${slot}` }, f.ctx));
  f.pins.requests.length = 0;
  f.pins.reports.length = 0;
  return pk;
}

Deno.test("sign() with Ed25519 strips the DigestInfo and asks PW1 with stock's prompt", async () => {
  const f = await openFixture();
  const pk = await generate(f, 1, "ed25519");
  f.pins.requests.length = 0;
  const digest = sha256("hello");
  const sig = await f.app.sign({
    keyRef: keygripHex(pk),
    hash: "sha256",
    data: encodeDigestInfo("sha256", digest),
  }, f.ctx);
  assertEquals(sig.length, 64);
  assertEquals(pk.type === "ecc" && ed25519.verify(sig, digest, pk.q.subarray(1)), true);
  const [req] = f.pins.requests;
  assertEquals(
    req?.prompt,
    "||Please unlock the card%0A%0A\x1eNumber\x1f: FFFE 00000001%0AHolder\x1f: %0ACounter\x1f: 0",
  );
  assertEquals([req?.kind, req?.purpose, req?.chvNo, req?.minLength, req?.triesLeft], [
    "user",
    "verify",
    1,
    6,
    3,
  ]);
  assertEquals(f.pins.reports, [["user/verify", "accepted"]]);
});

Deno.test("sign() with RSA keeps the DigestInfo (PKCS #1 v1.5)", async () => {
  const f = await openFixture();
  const pk = await generate(f, 1, "rsa2048");
  if (pk.type !== "rsa") throw new Error("expected RSA");
  const digest = sha256("rsa message");
  const sig = await f.app.sign({
    keyRef: "OPENPGP.1",
    hash: "sha256",
    data: encodeDigestInfo("sha256", digest),
  }, f.ctx);
  const key = createPublicKey({
    key: { kty: "RSA", n: b64url(pk.n), e: b64url(pk.e) },
    format: "jwk",
  });
  assertEquals(sig.length, 256);
  assertEquals(rsaVerify("sha256", new TextEncoder().encode("rsa message"), key, sig), true);
});

Deno.test("sign() with ECDSA P-256 returns r‖s over the bare digest", async () => {
  const f = await openFixture();
  const pk = await generate(f, 1, "nistp256");
  const digest = sha256("ecdsa");
  const sig = await f.app.sign({
    keyRef: "OPENPGP.1",
    hash: "sha256",
    data: encodeDigestInfo("sha256", digest),
  }, f.ctx);
  assertEquals(sig.length, 64);
  assertEquals(pk.type === "ecc" && p256.verify(sig, digest, pk.q, { prehash: false }), true);
});

Deno.test("sign() with the authentication key's grip goes to INTERNAL AUTHENTICATE with PW1 82", async () => {
  const f = await openFixture();
  const pk = await generate(f, 3, "nistp256");
  f.card.apduLog.reset();
  f.pins.requests.length = 0;
  const digest = sha256("ssh");
  const sig = await f.app.sign({
    keyRef: keygripHex(pk),
    hash: "sha256",
    data: encodeDigestInfo("sha256", digest),
  }, f.ctx);
  assertEquals(pk.type === "ecc" && p256.verify(sig, digest, pk.q, { prehash: false }), true);
  assertEquals(f.card.apduLog.byIns()["88"]?.count, 1);
  assertEquals(f.card.apduLog.byIns()["2A"], undefined);
  assertEquals(f.pins.requests[0]?.chvNo, 2);
  assertEquals(f.pins.requests[0]?.prompt.includes("Counter"), false);
});

Deno.test("sign() refuses bad digests before asking for a PIN", async () => {
  const f = await openFixture();
  await generate(f, 1, "ed25519");
  f.pins.requests.length = 0;
  await assertRejects(
    () => f.app.sign({ keyRef: "OPENPGP.1", hash: "sha256", data: new Uint8Array(21) }, f.ctx),
    InvalidValueError,
  );
  await assertRejects(
    () => f.app.sign({ keyRef: "OPENPGP.2", hash: "sha1", data: new Uint8Array(20) }, f.ctx),
    InvalidIdError,
  );
  assertEquals(f.pins.requests.length, 0);
});

Deno.test("sign() with a wrong PIN reports it, sends it once and carries the tries left", async () => {
  const f = await openFixture({ pins: { "user/verify": "654321" } });
  await generate(f, 1, "ed25519");
  f.card.apduLog.reset();
  await assertRejects(
    () => f.app.sign({ keyRef: "OPENPGP.1", hash: "sha1", data: new Uint8Array(20) }, f.ctx),
    (e: unknown) => e instanceof PinError && e.triesLeft === 2,
  );
  assertEquals(f.pins.reports, [["user/verify", "rejected"]]);
  assertEquals(f.card.apduLog.byIns()["20"]?.count, 1);
  assertEquals(f.card.apduLog.byIns()["2A"], undefined);
  // The next prompt shows the remaining attempts.
  f.pins.answers["user/verify"] = USER_PIN;
  await f.app.sign({ keyRef: "OPENPGP.1", hash: "sha1", data: new Uint8Array(20) }, f.ctx);
  assertEquals(f.pins.requests.at(-1)?.prompt.endsWith("%0A%0ARemaining attempts: 2"), true);
});

Deno.test("sign() under the strict policy clears the verification; session policy does not", async () => {
  for (const [pinPolicy, verifies] of [["strict", 3], ["session", 1]] as const) {
    const f = await openFixture({ app: { pinPolicy } });
    await generate(f, 1, "ed25519");
    f.card.apduLog.reset();
    await f.app.sign({ keyRef: "OPENPGP.1", hash: "sha1", data: new Uint8Array(20) }, f.ctx);
    assertEquals(f.card.apduLog.byIns()["20"]?.count, verifies, pinPolicy);
  }
});

Deno.test("sign() with a prompt: SELECT, C4, 7A; ask; SELECT, AID, VERIFY, PSO, VERIFY FF, status", async () => {
  const f = await openFixture();
  const pk = await generate(f, 1, "ed25519");
  await f.app.sign({ keyRef: keygripHex(pk), hash: "sha1", data: new Uint8Array(20) }, f.ctx);
  f.card.apduLog.reset();
  const before = f.connects();
  await f.app.sign({ keyRef: keygripHex(pk), hash: "sha1", data: new Uint8Array(20) }, f.ctx);
  const byIns = f.card.apduLog.byIns();
  assertEquals(Object.fromEntries(Object.entries(byIns).map(([k, v]) => [k, v.count])), {
    A4: 2,
    CA: 3,
    "20": 3,
    "2A": 1,
  });
  assertEquals(f.connects() - before, 2, "the prompt sits between two transactions");
});

Deno.test("decipher() on Curve25519 wraps the point and prefixes the result with 40", async () => {
  const f = await openFixture();
  const pk = await generate(f, 2, "cv25519");
  if (pk.type !== "ecc") throw new Error("expected ECC");
  const eph = x25519.utils.randomSecretKey();
  const ephPub = x25519.getPublicKey(eph);
  const expected = x25519.getSharedSecret(eph, pk.q.subarray(1));
  const r = await f.app.decipher({
    keyRef: keygripHex(pk),
    data: concat(Uint8Array.of(0x40), ephPub),
  }, f.ctx);
  assertEquals(toHex(r.plaintext), "40" + toHex(expected));
  assertEquals(r.padding, 0);
  assertEquals(f.pins.requests.at(-1)?.chvNo, 2);
});

Deno.test("decipher() on NIST P-256 returns 41 ‖ x for an x-only answer or the point as given", async () => {
  const f = await openFixture();
  const pk = await generate(f, 2, "nistp256");
  if (pk.type !== "ecc") throw new Error("expected ECC");
  const eph = p256.utils.randomSecretKey();
  const shared = p256.getSharedSecret(eph, pk.q, false);
  const r = await f.app.decipher(
    { keyRef: "OPENPGP.2", data: p256.getPublicKey(eph, false) },
    f.ctx,
  );
  const out = r.plaintext;
  if (out[0] === 0x41) assertEquals(toHex(out.subarray(1)), toHex(shared.subarray(1, 33)));
  else assertEquals(toHex(out), toHex(shared));
});

Deno.test("decipher() on RSA adds the padding indicator and returns the session key", async () => {
  const f = await openFixture();
  const pk = await generate(f, 2, "rsa2048");
  if (pk.type !== "rsa") throw new Error("expected RSA");
  const key = createPublicKey({
    key: { kty: "RSA", n: b64url(pk.n), e: b64url(pk.e) },
    format: "jwk",
  });
  const secret = new TextEncoder().encode("session key bytes");
  const ct = new Uint8Array(publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, secret));
  const r = await f.app.decipher({ keyRef: "OPENPGP.2", data: ct }, f.ctx);
  assertEquals(toHex(r.plaintext), toHex(secret));
});

Deno.test("auth() signs with the authentication key after stripping the SHA-256 prefix", async () => {
  const f = await openFixture();
  const pk = await generate(f, 3, "nistp256");
  const digest = sha256("auth");
  const sig = await f.app.auth(
    { keyRef: "OPENPGP.3", data: encodeDigestInfo("sha256", digest) },
    f.ctx,
  );
  assertEquals(pk.type === "ecc" && p256.verify(sig, digest, pk.q, { prehash: false }), true);
});

Deno.test("checkPin() verifies PW1 through 82 when decryption or auth keys exist", async () => {
  const f = await openFixture();
  await generate(f, 2, "cv25519");
  f.pins.requests.length = 0;
  await f.app.checkPin({ idStr: f.app.serialNo }, f.ctx);
  assertEquals(f.pins.requests.map((r) => r.chvNo), [2]);
  await f.app.checkPin({ idStr: f.app.serialNo + "[CHV3]" }, f.ctx);
  assertEquals(
    f.pins.requests.at(-1)?.prompt.startsWith("|A|Please enter the Admin PIN%0A%0A\x1eNumber"),
    true,
  );
});

Deno.test("random() returns bytes from GET CHALLENGE", async () => {
  const f = await openFixture();
  const r = await f.app.random(300, f.ctx);
  assertEquals(r.length, 300);
  assertEquals(f.card.apduLog.byIns()["84"]?.count, 2);
});

Deno.test("auth() with no data runs 2.4's challenge-response and checks the signature", async () => {
  for (const algo of ["ed25519", "nistp384", "rsa2048"]) {
    const f = await openFixture();
    await generate(f, 3, algo);
    const sig = await f.app.auth({ keyRef: "OPENPGP.3", data: new Uint8Array(0) }, f.ctx);
    assertEquals(sig.length > 0, true, algo);
    assertEquals(f.pins.requests.map((r) => r.chvNo), [2]);
  }
});

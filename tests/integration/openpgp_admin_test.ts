import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import {
  AccessDeniedError,
  BadSecretKeyError,
  InvalidIdError,
  InvalidNameError,
  KeyExistsError,
  NoResetCodeError,
  PinError,
  WrongPubkeyAlgoError,
} from "../../src/app/errors.ts";
import { findCurve } from "../../src/formats/curves.ts";
import { v4Fingerprint } from "../../src/formats/fingerprint.ts";
import { keygripHex } from "../../src/formats/keygrip.ts";
import { parsePublicKey } from "../../src/formats/public_key.ts";
import { encodeSexp, sexpList } from "../../src/formats/sexp.ts";
import { tlv } from "../../src/iso7816/tlv.ts";
import { concat, fromHex, toHex, utf8 } from "../../src/util/bytes.ts";
import { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";
import { ed25519KeyData } from "../support/key_data.ts";
import { openFixture } from "./_openpgp_fixture.ts";

Deno.test("setAttr() DISP-NAME needs the admin PIN and shows up in later prompts", async () => {
  const f = await openFixture();
  await f.app.setAttr({ name: "DISP-NAME", value: utf8("Doe<<John") }, f.ctx);
  assertEquals(f.pins.requests.map((r) => r.kind), ["admin"]);
  await f.app.getAttr({ name: "DISP-NAME" }, f.ctx);
  assertEquals(f.status.lines, ["DISP-NAME Doe<<John"]);
  await f.app.checkPin({ idStr: f.app.serialNo }, f.ctx);
  assertEquals(
    f.pins.requests.at(-1)?.prompt,
    "||Please unlock the card%0A%0A\x1eNumber\x1f: FFFE 00000001%0AHolder\x1f: John Doe%0ACounter\x1f: 0",
  );
});

Deno.test("setAttr() refuses unknown names and, with deny-admin, admin writes", async () => {
  const f = await openFixture({ app: { allowAdmin: false } });
  await assertRejects(
    () => f.app.setAttr({ name: "NOPE", value: utf8("x") }, f.ctx),
    InvalidNameError,
  );
  await assertRejects(
    () => f.app.setAttr({ name: "DISP-NAME", value: utf8("x") }, f.ctx),
    AccessDeniedError,
  );
  assertEquals(f.pins.requests.length, 0);
});

Deno.test("setAttr() KEY-ATTR changes the slot's attributes from gpg's string", async () => {
  const f = await openFixture();
  await f.app.setAttr({ name: "KEY-ATTR", value: utf8("--force 2 18 cv25519") }, f.ctx);
  await f.app.setAttr({ name: "KEY-ATTR", value: utf8("--force 3 1 rsa3070") }, f.ctx);
  await f.app.getAttr({ name: "KEY-ATTR" }, f.ctx);
  assertEquals(f.status.lines, [
    "KEY-ATTR 1 1 rsa2048 32 1",
    "KEY-ATTR 2 18 Curve25519",
    "KEY-ATTR 3 1 rsa3072 32 1",
  ]);
  await assertRejects(
    () => f.app.setAttr({ name: "KEY-ATTR", value: utf8("--force 1 18 cv25519") }, f.ctx),
    WrongPubkeyAlgoError,
  );
});

Deno.test("setAttr() CHV-STATUS-1 and CA-FPR-1 write the DOs and invalidate the cache", async () => {
  const f = await openFixture();
  await f.app.getAttr({ name: "CHV-STATUS" }, f.ctx);
  await f.app.setAttr({ name: "CHV-STATUS-1", value: Uint8Array.of(0) }, f.ctx);
  await f.app.setAttr({ name: "CA-FPR-1", value: fromHex("AB".repeat(20)) }, f.ctx);
  f.status.clear();
  await f.app.getAttr({ name: "CHV-STATUS" }, f.ctx);
  await f.app.getAttr({ name: "CA-FPR" }, f.ctx);
  assertEquals(f.status.lines, ["CHV-STATUS +0+127+127+127+3+0+3", `CA-FPR 1 ${"AB".repeat(20)}`]);
});

Deno.test("genKey() refuses to overwrite without force and rejects bad key numbers", async () => {
  const f = await openFixture();
  await f.app.genKey({ keyRef: "1", algo: "ed25519" }, f.ctx);
  await assertRejects(() => f.app.genKey({ keyRef: "OPENPGP.1" }, f.ctx), KeyExistsError);
  await assertRejects(() => f.app.genKey({ keyRef: "4" }, f.ctx), InvalidIdError);
  await f.app.genKey({ keyRef: "openpgp.1", force: true }, f.ctx);
});

Deno.test("writeKey() imports an Ed25519 key and stores gpg's fingerprint and time", async () => {
  const f = await openFixture();
  const { q, keyData } = ed25519KeyData(1600000000);
  await f.app.writeKey({ keyRef: "OPENPGP.1", keyData }, f.ctx);
  const pk = parsePublicKey(await f.app.readKey({ keyRef: "OPENPGP.1" }, f.ctx));
  assertEquals(pk.type === "ecc" && toHex(pk.q), toHex(q));
  await f.app.getAttr({ name: "KEY-FPR" }, f.ctx);
  await f.app.getAttr({ name: "KEY-TIME" }, f.ctx);
  const expected = toHex(
    v4Fingerprint({ type: "ecc", curve: findCurve("Ed25519")!, q }, 1600000000, { algo: 22 }),
  );
  assertEquals(f.status.lines, [`KEY-FPR 1 ${expected}`, "KEY-TIME 1 1600000000"]);
  await assertRejects(
    () => f.app.writeKey({ keyRef: "OPENPGP.1", keyData }, f.ctx),
    KeyExistsError,
  );
});

Deno.test("writeKey() imports a Curve25519 key into slot 2 with its ECDH parameters", async () => {
  const f = await openFixture();
  const secret = x25519.utils.randomSecretKey();
  const q = concat(Uint8Array.of(0x40), x25519.getPublicKey(secret));
  const keyData = encodeSexp(sexpList(
    "private-key",
    sexpList(
      "ecc",
      sexpList("curve", "Curve25519"),
      sexpList("flags", "djb-tweak"),
      sexpList("q", q),
      sexpList("d", secret.slice().reverse()),
    ),
    sexpList("created-at", "1600000000"),
  ));
  await f.app.writeKey({ keyRef: "OPENPGP.2", keyData }, f.ctx);
  const pk = parsePublicKey(await f.app.readKey({ keyRef: "OPENPGP.2" }, f.ctx));
  assertEquals(pk.type === "ecc" && [pk.curve.name, pk.flags], ["Curve25519", "djb-tweak"]);
  assertEquals(keygripHex(pk).length, 40);
});

Deno.test("writeKey() imports an RSA key (CRT parts derived) and signs with it", async () => {
  const f = await openFixture();
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
  const jwk = privateKey.export({ format: "jwk" });
  const b = (s: string | undefined) =>
    Uint8Array.from(atob(s!.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
  const keyData = encodeSexp(sexpList(
    "private-key",
    sexpList(
      "rsa",
      sexpList("n", b(jwk.n)),
      sexpList("e", b(jwk.e)),
      sexpList("d", b(jwk.d)),
      sexpList("p", b(jwk.p)),
      sexpList("q", b(jwk.q)),
      sexpList("u", b(jwk.qi)),
    ),
    sexpList("created-at", "1600000000"),
  ));
  await f.app.writeKey({ keyRef: "OPENPGP.1", keyData }, f.ctx);
  const pk = parsePublicKey(await f.app.readKey({ keyRef: "OPENPGP.1" }, f.ctx));
  assertEquals(pk.type === "rsa" && toHex(pk.n), toHex(b(jwk.n)));
  const digest = new Uint8Array(createHash("sha1").update("x").digest());
  assertEquals(
    (await f.app.sign({ keyRef: "OPENPGP.1", hash: "sha1", data: digest }, f.ctx)).length,
    256,
  );
});

Deno.test("writeKey() rejects KEYDATA that is not a usable private key", async () => {
  const f = await openFixture();
  const bad = encodeSexp(sexpList("public-key", sexpList("ecc", sexpList("curve", "Ed25519"))));
  await assertRejects(
    () => f.app.writeKey({ keyRef: "OPENPGP.1", keyData: bad }, f.ctx),
    BadSecretKeyError,
  );
  const dsa = encodeSexp(sexpList("private-key", sexpList("dsa", sexpList("p", "1"))));
  await assertRejects(
    () => f.app.writeKey({ keyRef: "OPENPGP.1", keyData: dsa }, f.ctx),
    WrongPubkeyAlgoError,
  );
  await assertRejects(() => f.app.writeKey({ keyRef: "1", keyData: bad }, f.ctx), InvalidIdError);
});

Deno.test("changePin() 1 changes PW1 with stock's prompts; the new PIN then works", async () => {
  const f = await openFixture({ pins: { "user/current": USER_PIN, "user/new": "654321" } });
  await f.app.changePin({ chvRef: "1" }, f.ctx);
  assertEquals(f.pins.requests.map((r) => r.prompt), ["||Please enter the PIN", "|N|New PIN"]);
  f.pins.answers["user/verify"] = "654321";
  await f.app.checkPin({ idStr: f.app.serialNo }, f.ctx);
  assertEquals(f.pins.reports.at(-1), ["user/verify", "accepted"]);
});

Deno.test("changePin() refuses a short new PIN before touching the card", async () => {
  const f = await openFixture({ pins: { "user/current": USER_PIN, "user/new": "123" } });
  f.card.apduLog.reset();
  await assertRejects(
    () => f.app.changePin({ chvRef: "OPENPGP.1" }, f.ctx),
    (e: unknown) => e instanceof PinError && e.reason === "too-short",
  );
  assertEquals(f.card.apduLog.byIns()["24"], undefined);
});

Deno.test("changePin() --reset 2 sets a reset code, and 2 unblocks PW1 with it", async () => {
  const f = await openFixture({
    pins: { "reset-code/new": "87654321", "reset-code/verify": "87654321", "user/new": "112233" },
  });
  await assertRejects(() => f.app.changePin({ chvRef: "2" }, f.ctx), NoResetCodeError);
  await f.app.changePin({ chvRef: "2", reset: true }, f.ctx);
  await f.app.changePin({ chvRef: "2" }, f.ctx);
  assertEquals(f.pins.requests.map((r) => r.prompt.slice(0, 18)), [
    "|A|Please enter th",
    "|RN|New Reset Code",
    "|R|Please enter th",
    "|N|New PIN",
  ]);
  f.pins.answers["user/verify"] = "112233";
  await f.app.checkPin({ idStr: f.app.serialNo }, f.ctx);
  await assertRejects(() => f.app.changePin({ chvRef: "3", reset: true }, f.ctx), InvalidIdError);
});

Deno.test("setAttr() KDF switches the card to hashed PINs, and VERIFY still works", async () => {
  const f = await openFixture({ pins: { "admin/current": ADMIN_PIN } });
  const salt = (b: number) => new Uint8Array(8).fill(b);
  const count = fromHex("00100000");
  const s2k = async (pin: string, s: Uint8Array) => {
    const { iteratedSaltedS2k } = await import("../../src/openpgp/kdf.ts");
    return iteratedSaltedS2k(utf8(pin), s, 0x100000);
  };
  const kdf = concat(
    tlv(0x81, Uint8Array.of(3)),
    tlv(0x82, Uint8Array.of(8)),
    tlv(0x83, count),
    tlv(0x84, salt(1)),
    tlv(0x85, salt(2)),
    tlv(0x86, salt(3)),
    tlv(0x87, await s2k(USER_PIN, salt(1))),
    tlv(0x88, await s2k(ADMIN_PIN, salt(3))),
  );
  assertEquals(kdf.length, 110);
  await f.app.setAttr({ name: "KDF", value: kdf }, f.ctx);
  await f.app.getAttr({ name: "KDF" }, f.ctx);
  assertEquals(f.status.lines.length, 1);
  await f.app.checkPin({ idStr: f.app.serialNo }, f.ctx);
  await f.app.checkPin({ idStr: f.app.serialNo + "[CHV3]" }, f.ctx);
  assertEquals(f.pins.reports.slice(-2), [["user/verify", "accepted"], [
    "admin/verify",
    "accepted",
  ]]);
});

Deno.test("writeCert() stores the cardholder certificate that readCert() returns", async () => {
  const f = await openFixture();
  const der = concat(fromHex("3082012C"), new Uint8Array(300).fill(7));
  await f.app.writeCert({ certId: "OPENPGP.3", data: der }, f.ctx);
  assertEquals(toHex(await f.app.readCert({ certId: "OPENPGP.3" }, f.ctx)), toHex(der));
  await assertRejects(
    () => f.app.writeCert({ certId: "OPENPGP.1", data: der }, f.ctx),
    InvalidIdError,
  );
});

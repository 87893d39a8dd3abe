import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { InvalidNameError, NoObjectError } from "../../src/app/errors.ts";
import { keygripHex } from "../../src/formats/keygrip.ts";
import { parsePublicKey } from "../../src/formats/public_key.ts";
import { openFixture } from "./_openpgp_fixture.ts";

Deno.test("OpenPgpApplication.open() reads the serial number of the card", async () => {
  const f = await openFixture({ card: { serial: 0x12345678, manufacturer: 0x000f } });
  assertEquals(f.app.serialNo, "D276000124010304000F123456780000");
  assertEquals(f.app.displaySerialNo, "000F 12345678");
  assertEquals(f.app.appType, "openpgp");
  assertEquals(f.app.cardType, undefined);
});

Deno.test("OpenPgpApplication treats Yubico cards as stock does: 2.4 serial with version 0.0", async () => {
  const yubikeyVersion = [4, 3, 7] as const; // below 5: the display serial has no spaces
  const f = await openFixture({ card: { serial: 0x12345678, manufacturer: 6 }, yubikeyVersion });
  assertEquals(f.app.cardType, "yubikey");
  assertEquals(f.app.serialNo, "D2760001240100000006123456780000");
  assertEquals(f.app.displaySerialNo, "12345678");
  await f.app.learn({}, f.ctx);
  assertEquals(f.status.lines.slice(0, 4), [
    "CARDTYPE yubikey",
    "CARDVERSION 40307",
    "APPTYPE openpgp",
    "APPVERSION 304",
  ]);
  f.status.clear();
  await f.app.getAttr({ name: "SERIALNO" }, f.ctx);
  assertEquals(f.status.lines, ["SERIALNO D2760001240100000006123456780000"]);
  const f22 = await openFixture({
    card: { serial: 0x12345678, manufacturer: 6 },
    app: { gnupg: "2.2" },
    yubikeyVersion,
  });
  assertEquals(f22.app.serialNo, "D2760001240103040006123456780000");
  assertEquals(f22.app.displaySerialNo, "12345678");
});

Deno.test("a Yubico AID without the YubiKey applet's GET VERSION is shown like any card", async () => {
  // stock finds a YubiKey by its management applet (scd/app.c app_new_register), so a card
  // with only Yubico's manufacturer ID is a plain OpenPGP card to it (the virtual yubikey
  // profiles, tests/e2e/profile_smoke_test.ts)
  const f = await openFixture({ card: { serial: 0x12345678, manufacturer: 6 } });
  assertEquals(f.app.cardType, undefined);
  assertEquals(f.app.serialNo, "D2760001240103040006123456780000");
  assertEquals(f.app.displaySerialNo, "0006 12345678");
});

// Stock scdaemon 2.4.7's LEARN --force status lines for a fresh virtual card (taken from
// its scdaemon.log in the e2e bed, after READER and SERIALNO).
const STOCK_24_FRESH = [
  "APPTYPE openpgp",
  "APPVERSION 304",
  "EXTCAP gc=1+ki=1+fc=1+pd=1+mcl3=2048+aac=1+sm=0+si=5+dec=0+bt=1+kdf=1",
  "MANUFACTURER 65534 unmanaged S/N range",
  "DISP-NAME",
  "DISP-LANG",
  "DISP-SEX",
  "CHV-STATUS +1+127+127+127+3+0+3",
  "SIG-COUNTER 0",
  "KDF \x81%01%00",
  "UIF-1 %00+",
  "UIF-2 %00+",
  "UIF-3 %00+",
];

Deno.test("learn() on a fresh card matches stock 2.4's LEARN lines", async () => {
  const f = await openFixture();
  await f.app.learn({}, f.ctx);
  assertEquals(f.status.lines, STOCK_24_FRESH);
});

Deno.test("learn() in 2.2 flavor matches stock 2.2's LEARN lines for an Ed25519 card", async () => {
  const f = await openFixture({ app: { gnupg: "2.2" } });
  await f.app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", timestamp: 1795431992 }, f.ctx);
  const fpr = f.status.of("KEY-FPR")[0]!.split(" ")[1];
  const grip = keygripHex(parsePublicKey(await f.app.readKey({ keyRef: "OPENPGP.1" }, f.ctx)));
  f.status.clear();
  await f.app.learn({}, f.ctx);
  // Same shape as stock 2.2.40's trace after a keytocard of an Ed25519 key.
  assertEquals(f.status.lines, [
    "APPTYPE openpgp",
    "EXTCAP gc=1+ki=1+fc=1+pd=1+mcl3=2048+aac=1+sm=0+si=5+dec=0+bt=1+kdf=1",
    "MANUFACTURER 65534 unmanaged S/N range",
    "DISP-NAME",
    "DISP-LANG",
    "DISP-SEX",
    `KEY-FPR 1 ${fpr}`,
    "KEY-TIME 1 1795431992",
    "CHV-STATUS +1+127+127+127+3+0+3",
    "SIG-COUNTER 0",
    "KDF \x81%01%00",
    `KEYPAIRINFO ${grip} OPENPGP.1 sc`,
  ]);
});

Deno.test("learn() in 2.2 flavor leaves out APPVERSION and UIF", async () => {
  const f = await openFixture({ app: { gnupg: "2.2" } });
  await f.app.learn({}, f.ctx);
  assertEquals(f.status.of("APPVERSION"), []);
  assertEquals(f.status.of("UIF-1"), []);
  assertEquals(f.status.lines[0], "APPTYPE openpgp");
});

Deno.test("learn() with keyPairInfoOnly drops only the header lines", async () => {
  const f = await openFixture();
  await f.app.learn({ keyPairInfoOnly: true }, f.ctx);
  assertEquals(f.status.of("APPTYPE"), []);
  assertEquals(f.status.lines[0]!.startsWith("EXTCAP "), true);
});

Deno.test("genKey() then learn() reports KEY-FPR, KEY-TIME and KEYPAIRINFO with the key's grip", async () => {
  const f = await openFixture();
  await f.app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", timestamp: 1700000000 }, f.ctx);
  const created = f.status.of("KEY-CREATED-AT");
  assertEquals(created, ["KEY-CREATED-AT 1700000000"]);
  const fpr = f.status.of("KEY-FPR")[0]!.split(" ")[1]!;
  assertEquals(fpr.length, 40);
  assertEquals(f.status.of("KEY-DATA").map((l) => l.split(" ")[1]), ["q", "curve"]);
  assertEquals(f.status.of("KEY-DATA")[1], "KEY-DATA curve 092B06010401DA470F01");
  f.status.clear();

  const sexp = await f.app.readKey({ keyRef: "OPENPGP.1" }, f.ctx);
  const pk = parsePublicKey(sexp);
  assertEquals(pk.type === "ecc" && [pk.curve.name, pk.flags, pk.q.length, pk.q[0]], [
    "Ed25519",
    "eddsa",
    33,
    0x40,
  ]);
  const grip = keygripHex(pk);

  await f.app.learn({}, f.ctx);
  assertEquals(f.status.of("KEY-FPR"), [`KEY-FPR 1 ${fpr}`]);
  assertEquals(f.status.of("KEY-TIME"), ["KEY-TIME 1 1700000000"]);
  assertEquals(f.status.of("KEYPAIRINFO"), [`KEYPAIRINFO ${grip} OPENPGP.1 sc 1700000000 ed25519`]);

  const f22 = f.status;
  f22.clear();
  // READKEY by keygrip and with --info.
  const again = await f.app.readKey({ keyRef: grip, info: true }, f.ctx);
  assertEquals(again, sexp);
  assertEquals(f.status.of("KEYPAIRINFO"), [`KEYPAIRINFO ${grip} OPENPGP.1 sc 1700000000 ed25519`]);
  assertEquals(await f.app.listKeys(f.ctx), [
    { keygrip: grip, keyRef: "OPENPGP.1", usage: "sc", created: 1700000000, algo: "ed25519" },
  ]);
});

Deno.test("readKey() on an empty slot fails with NoObjectError (stock: Missing item in object)", async () => {
  const f = await openFixture();
  await assertRejects(() => f.app.readKey({ keyRef: "OPENPGP.2" }, f.ctx), NoObjectError);
});

const ATTR_CASES: [string, string[]][] = [
  ["$SIGNKEYID", ["$SIGNKEYID OPENPGP.1"]],
  ["$ENCRKEYID", ["$ENCRKEYID OPENPGP.2"]],
  ["$AUTHKEYID", ["$AUTHKEYID OPENPGP.3"]],
  ["$DISPSERIALNO", ["$DISPSERIALNO FFFE+00000001"]],
  ["SERIALNO", ["SERIALNO D276000124010304FFFE000000010000"]],
  ["KEY-ATTR", [
    "KEY-ATTR 1 1 rsa2048 32 1",
    "KEY-ATTR 2 1 rsa2048 32 1",
    "KEY-ATTR 3 1 rsa2048 32 1",
  ]],
  ["CHV-STATUS", ["CHV-STATUS +1+127+127+127+3+0+3"]],
  ["SIG-COUNTER", ["SIG-COUNTER 0"]],
  ["MANUFACTURER", ["MANUFACTURER 65534 unmanaged S/N range"]],
  ["APPTYPE", ["APPTYPE openpgp"]],
];

for (const [name, lines] of ATTR_CASES) {
  Deno.test(`getAttr() ${name}`, async () => {
    const f = await openFixture();
    await f.app.getAttr({ name }, f.ctx);
    assertEquals(f.status.lines, lines);
  });
}

Deno.test("getAttr() AID escapes the raw bytes", async () => {
  const f = await openFixture();
  await f.app.getAttr({ name: "AID" }, f.ctx);
  assertEquals(f.status.lines, ["AID \xD2v%00%01$%01%03%04\xFF\xFE%00%00%00%01%00%00"]);
});

Deno.test("getAttr() rejects unknown names and 2.4-only names in 2.2 flavor", async () => {
  const f = await openFixture({ app: { gnupg: "2.2" } });
  await assertRejects(() => f.app.getAttr({ name: "FOO" }, f.ctx), InvalidNameError);
  await assertRejects(() => f.app.getAttr({ name: "KEY-ATTR-INFO" }, f.ctx), InvalidNameError);
});

Deno.test("getAttr() KEY-ATTR-INFO lists what DO FA offers", async () => {
  const f = await openFixture();
  await f.app.getAttr({ name: "KEY-ATTR-INFO" }, f.ctx);
  const lines = f.status.of("KEY-ATTR-INFO");
  assertEquals(lines.includes("KEY-ATTR-INFO OPENPGP.1 rsa2048"), true);
  assertEquals(lines.includes("KEY-ATTR-INFO OPENPGP.1 ed25519"), true);
  assertEquals(lines.includes("KEY-ATTR-INFO OPENPGP.2 cv25519"), true);
});

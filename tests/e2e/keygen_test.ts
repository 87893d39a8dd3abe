/**
 * Keys generated on the card (RSA-2048 by default, ed25519/cv25519 after key-attr) and
 * the everyday operations with them: clearsign, detach-sign, encrypt/decrypt.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field } from "./_card_status.ts";
import { cardTest, CURVE25519, userPin } from "./_fixture.ts";
import {
  assertGoodSignature,
  clearsign,
  detachSignVerify,
  encryptDecrypt,
  generateOnCard,
  setEccKeyAttributes,
  signatureCounter,
  workflow,
} from "./_workflows.ts";

cardTest("generate RSA-2048 on the card, then sign, verify, encrypt and decrypt", async (c) => {
  const keys = await workflow(c, "generate", () => generateOnCard(c));
  const s = await c.cardStatus();
  assertEquals(field(s, "Key attributes"), "rsa2048 rsa2048 rsa2048");
  assert(new Set([keys.sign, keys.encr, keys.auth]).size === 3, "three distinct keys");
  const listing = await c.gpg(["--with-colons", "--list-secret-keys", keys.primary]);
  assertEquals(listing.code, 0, listing.stderr);
  // every secret key is a stub on this card (field 15 = the card's AID)
  const secLines = listing.stdout.split("\n").filter((l) => /^(sec|ssb):/.test(l));
  assertEquals(secLines.length, 3, listing.stdout);
  for (const l of secLines) {
    assertEquals(l.split(":")[3], "1", l); // RSA
    assertEquals(l.split(":")[2], "2048", l);
    assertEquals(l.split(":")[14], `D276000124010304FFFE${c.serial}0000`, l);
  }

  const before = await signatureCounter(c);
  // a fresh daemon: the PIN verified during generation is gone, so signing must ask for it
  await c.restartAgent();
  await c.pins([userPin(), userPin()]);
  const signed = await workflow(
    c,
    "clearsign",
    () => clearsign(c, keys.primary, "hello from the virtual card\n"),
  );
  assertMatch(signed, /^-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA(256|512)\n\nhello from/);
  await assertGoodSignature(c, [], keys.sign, signed);
  // The card asked for the user PIN, naming the card
  const prompts = await c.prompts();
  assert(prompts.length >= 1, "a PIN prompt");
  assertMatch(prompts[0]!.desc ?? "", /Please unlock the card/);
  assertMatch(prompts[0]!.desc ?? "", new RegExp(c.serial));
  await workflow(c, "detach-sign", () => detachSignVerify(c, keys.primary, keys.sign));
  assertEquals(await signatureCounter(c), before + 2);

  await c.pins([userPin()]);
  await workflow(c, "decrypt", () => encryptDecrypt(c, keys.primary, "secret message\nline two\n"));
});

cardTest(
  "generate ed25519/cv25519 on the card after key-attr, then sign and decrypt",
  async (c) => {
    await workflow(c, "key-attr", () => setEccKeyAttributes(c, "1"));
    assertEquals(field(await c.cardStatus(), "Key attributes"), "ed25519 cv25519 ed25519");
    const keys = await workflow(c, "generate-ed25519", () => generateOnCard(c));
    const listing = await c.gpg(["--with-colons", "--list-keys", keys.primary]);
    const algos = listing.stdout.split("\n").filter((l) => /^(pub|sub):/.test(l)).map((l) =>
      l.split(":")[3]
    );
    // 22 = EdDSA (primary and auth subkey), 18 = ECDH (encryption subkey)
    assertEquals(algos.sort(), ["18", "22", "22"]);
    await c.pins([userPin(), userPin()]);
    const signed = await clearsign(c, keys.primary, "ed25519 says hi\n");
    await assertGoodSignature(c, [], keys.sign, signed);
    await detachSignVerify(c, keys.primary, keys.sign);
    await c.pins([userPin()]);
    await encryptDecrypt(c, keys.primary, "to cv25519\n");
  },
  { needs: CURVE25519 },
);

/**
 * keytocard: software keys moved onto the card (PUT DATA odd 3FFF key import) and then used
 * from the card for signing and decryption; and factory-reset returning the card to its
 * initial state.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field, keyFingerprint } from "./_card_status.ts";
import { adminPin, type CardContext, cardTest, USER_PIN, userPin } from "./_fixture.ts";
import {
  assertGoodSignature,
  clearsign,
  encryptDecrypt,
  generateOnCard,
  signatureCounter,
  softwareKey,
  workflow,
} from "./_workflows.ts";

/** Moves the primary to slot 1 and the subkey to slot 2 with `--edit-key … keytocard`. */
async function moveToCard(c: CardContext, primary: string): Promise<void> {
  // Stock asks for the Admin PIN again after it changed a slot's key attributes (ECC import
  // into an RSA slot): up to two prompts per key.
  await c.pins([adminPin(), adminPin(), adminPin(), adminPin()]);
  const r = await c.interact(["--edit-key", primary], {
    "keyedit.prompt": ["keytocard", "key 1", "keytocard", "save"],
    "keyedit.keytocard.use_primary": "y",
    "cardedit.genkeys.storekeytype": ["1", "2"],
    "cardedit.genkeys.replace_key": "y",
  });
  assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
  assertEquals(r.code, 0, r.stderr);
}

async function keytocardWorkflow(
  c: CardContext,
  algo: string,
  subAlgo: string,
  attrs: string,
  name: string,
) {
  const { primary, fprs: [, subkey] } = await softwareKey(c, algo, [[subAlgo, "encr"]]);
  await workflow(c, name, () => moveToCard(c, primary));
  const s = await c.cardStatus();
  assertEquals(keyFingerprint(s, "Signature key"), primary);
  assertEquals(keyFingerprint(s, "Encryption key"), subkey);
  assertEquals(keyFingerprint(s, "Authentication key"), undefined);
  assertEquals(field(s, "Key attributes"), attrs);
  // the local secret keys are now stubs pointing at this card
  const list = await c.gpg(["--with-colons", "--list-secret-keys", primary]);
  const aid = `D276000124010304FFFE${c.serial}0000`;
  for (const l of list.stdout.split("\n").filter((l) => /^(sec|ssb):/.test(l))) {
    assertEquals(l.split(":")[14], aid, l);
  }

  await c.restartAgent();
  const before = await signatureCounter(c);
  await c.pins([userPin(), userPin()]);
  const signed = await clearsign(c, primary, "signed by an imported key\n");
  await assertGoodSignature(c, [], primary, signed);
  assertEquals(await signatureCounter(c), before + 1);
  await encryptDecrypt(c, primary, "for the imported encryption key\n");
}

cardTest("keytocard moves RSA-2048 software keys to the card; they sign and decrypt", async (c) => {
  await keytocardWorkflow(c, "rsa2048", "rsa2048", "rsa2048 rsa2048 rsa2048", "keytocard");
}, { needs: ["keyImport"] });

cardTest("keytocard moves ed25519/cv25519 software keys to the card", async (c) => {
  await keytocardWorkflow(c, "ed25519", "cv25519", "ed25519 cv25519 rsa2048", "keytocard-ed25519");
}, { needs: ["keyImport", "keyAttrChangeable", "sig:ed25519", "dec:x25519"] });

cardTest("factory-reset returns keys, data, PINs and counters to the initial state", async (c) => {
  await generateOnCard(c);
  // personalise: name, and a changed user PIN
  await c.restartAgent();
  await c.pins([adminPin(), { pin: USER_PIN }, { pin: "135790" }, { pin: "135790" }]);
  const p = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "name", "passwd", "quit"],
    "keygen.smartcard.surname": "Owner",
    "keygen.smartcard.givenname": "Olga",
    "cardutil.change_pin.menu": ["1", "q"],
  });
  assertEquals(p.code, 0, p.stderr);
  const personal = await c.cardStatus();
  assertEquals(field(personal, "Name of cardholder"), "Olga Owner");
  assert(Number(field(personal, "Signature counter")) > 0);

  await c.pins([]);
  const r = await workflow(c, "factory-reset", () =>
    c.interact(["--card-edit"], {
      "cardedit.prompt": ["admin", "factory-reset", "quit"],
      "cardedit.factory-reset.proceed": "y",
      "cardedit.factory-reset.really": "yes",
    }));
  assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
  assertEquals(r.code, 0, r.stderr);
  assertEquals((await c.prompts()).length, 0, "factory-reset asks for no PIN");

  // A fresh daemon reads the reset card: once, under load, 2.4.7's scdaemon still had the
  // "undefined" app (SERIALNO FF7F00) selected after factory-reset, and card-status failed
  // with "Unsupported operation" (docs/stock-observations.md §8).
  await c.restartAgent();
  const s = await c.cardStatus();
  assertEquals(field(s, "Serial number"), c.serial);
  assertEquals(field(s, "Name of cardholder"), "[not set]");
  assertEquals(field(s, "Key attributes"), "rsa2048 rsa2048 rsa2048");
  assertEquals(field(s, "PIN retry counter"), "3 0 3");
  assertEquals(field(s, "Signature counter"), "0");
  for (const key of ["Signature key", "Encryption key", "Authentication key"]) {
    assertEquals(field(s, key), "[none]");
  }
  // the factory PINs work again: Admin PIN for a data change, user PIN for a new key's use
  await c.restartAgent();
  const keys = await generateOnCard(c);
  await c.restartAgent();
  await c.pins([userPin()]);
  const signed = await clearsign(c, keys.primary, "after the reset\n");
  await assertGoodSignature(c, [], keys.sign, signed);
  assertMatch(signed, /after the reset/);
}, { needs: ["factoryReset"] });

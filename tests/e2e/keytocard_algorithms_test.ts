/**
 * keytocard (WRITEKEY) for the algorithms keytocard_test.ts does not cover: RSA 3072/4096 and
 * NIST P-256/384/521 software keys — signing primary, ECDH/RSA encryption subkey and an
 * authentication subkey — moved into all three slots (the card's attributes change with
 * them), then used: sign+verify, encrypt+decrypt, ssh authentication.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { field, keyFingerprint } from "./_card_status.ts";
import { needsFor } from "./_needs.ts";
import { adminPin, type CardContext, cardTest, userPin } from "./_fixture.ts";
import {
  assertGoodSignature,
  clearsign,
  encryptDecrypt,
  softwareKey,
  sshSignVerify,
} from "./_workflows.ts";

/** A software key for all three slots: sign primary, encryption and auth subkeys. */
async function softwareKeys(c: CardContext, algo: string) {
  // an ECC auth subkey must be asked for as ECDSA (gpg defaults NIST curves to ECDH)
  const authAlgo = algo.startsWith("nist") ? `${algo}/ecdsa` : algo;
  const k = await softwareKey(c, algo, [[algo, "encr"], [authAlgo, "auth"]]);
  return { primary: k.primary, encr: k.fprs[1]!, auth: k.fprs[2]! };
}

for (
  const [algo, attrs] of [
    ["rsa3072", "rsa3072 rsa3072 rsa3072"],
    ["rsa4096", "rsa4096 rsa4096 rsa4096"],
    ["nistp256", "nistp256 nistp256 nistp256"],
    ["nistp384", "nistp384 nistp384 nistp384"],
    ["nistp521", "nistp521 nistp521 nistp521"],
  ] as const
) {
  cardTest(
    `keytocard ${algo}: all three slots imported, then sign, decrypt, authenticate`,
    async (c) => {
      const keys = await softwareKeys(c, algo);
      // up to two Admin PIN prompts per key (stock asks again after an attribute change)
      await c.pins([adminPin(), adminPin(), adminPin(), adminPin(), adminPin(), adminPin()]);
      const r = await c.interact(["--edit-key", keys.primary], {
        "keyedit.prompt": [
          "keytocard",
          "key 1",
          "keytocard",
          "key 1",
          "key 2",
          "keytocard",
          "save",
        ],
        "keyedit.keytocard.use_primary": "y",
        "cardedit.genkeys.storekeytype": ["1", "2", "3"],
        "cardedit.genkeys.replace_key": "y",
      });
      assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
      assertEquals(r.code, 0, r.stderr);
      const s = await c.cardStatus();
      assertEquals(field(s, "Key attributes"), attrs);
      assertEquals(
        [
          keyFingerprint(s, "Signature key"),
          keyFingerprint(s, "Encryption key"),
          keyFingerprint(s, "Authentication key"),
        ],
        [keys.primary, keys.encr, keys.auth],
      );

      await c.restartAgent();
      await c.pins([userPin()]);
      const signed = await clearsign(c, keys.primary, `imported ${algo}\n`);
      await assertGoodSignature(c, [], keys.primary, signed);
      await c.pins([userPin()]);
      const d = await encryptDecrypt(c, keys.primary, `to the imported ${algo} key\n`);
      assertMatch(d.stderr, /encrypted with/);
      await c.restartAgent();
      await sshSignVerify(c, keys.auth, /^(ssh-rsa|ecdsa-sha2-nistp\d+)$/);
    },
    { needs: ["keyImport", ...needsFor(algo)] },
  );
}

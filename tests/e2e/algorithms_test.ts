/**
 * Every algorithm the card offers, end to end through gpg: set all three key attributes with
 * `--card-edit key-attr`, generate the keys on the card, then sign (clear and detached, and
 * verify), encrypt to the card's key and decrypt, and authenticate (ssh-keygen -Y sign via
 * gpg-agent's ssh socket, i.e. PKSIGN with the authentication key). RSA 2048 and
 * ed25519/cv25519 signing and decryption are also in keygen_test.ts; here every algorithm
 * does all three operations.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { field } from "./_card_status.ts";
import { needsFor } from "./_needs.ts";
import { adminPin, type CardContext, cardTest, userPin } from "./_fixture.ts";
import {
  assertGoodSignature,
  clearsign,
  detachSignVerify,
  encryptDecrypt,
  generateOnCard,
  sshSignVerify,
} from "./_workflows.ts";

/** How gpg --card-edit key-attr is answered for one algorithm, and what card-status shows. */
interface Algorithm {
  name: string;
  answers: Record<string, string>;
  /** card-status "Key attributes" after the change. */
  attributes: string;
  /** ssh key type of the authentication key. */
  sshType: RegExp;
  /** gpg --with-colons algorithm numbers of primary, encryption and authentication keys. */
  colonAlgos: [string, string, string];
}

const rsa = (bits: number): Algorithm => ({
  name: `rsa${bits}`,
  answers: { "cardedit.genkeys.algo": "1", "cardedit.genkeys.size": String(bits) },
  attributes: `rsa${bits} rsa${bits} rsa${bits}`,
  sshType: /^ssh-rsa$/,
  colonAlgos: ["1", "1", "1"],
});

// keygen.curve numbers are gpg's curve table (g10/keygen.c ask_curve); P-256 and P-521
// are "expert" curves, so key-attr runs with --expert.
const nist = (bits: number, menu: string): Algorithm => ({
  name: `nistp${bits}`,
  answers: { "cardedit.genkeys.algo": "2", "keygen.curve": menu },
  attributes: `nistp${bits} nistp${bits} nistp${bits}`,
  sshType: new RegExp(`^ecdsa-sha2-nistp${bits}$`),
  colonAlgos: ["19", "18", "19"],
});

const ALGORITHMS: Algorithm[] = [
  rsa(2048),
  rsa(3072),
  rsa(4096),
  nist(256, "3"),
  nist(384, "4"),
  nist(521, "5"),
  {
    name: "ed25519/cv25519",
    answers: { "cardedit.genkeys.algo": "2", "keygen.curve": "1" },
    attributes: "ed25519 cv25519 ed25519",
    sshType: /^ssh-ed25519$/,
    colonAlgos: ["22", "18", "22"],
  },
];

async function setKeyAttributes(c: CardContext, algo: Algorithm): Promise<void> {
  // stock asks for the Admin PIN again after each attribute change (change_keyattr)
  await c.pins([adminPin(), adminPin(), adminPin()]);
  const r = await c.interact(["--expert", "--card-edit"], {
    "cardedit.prompt": ["admin", "key-attr", "quit"],
    ...algo.answers,
  });
  assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(field(await c.cardStatus(), "Key attributes"), algo.attributes);
}

for (const algo of ALGORITHMS) {
  cardTest(`${algo.name}: keys generated on the card sign, decrypt and authenticate`, async (c) => {
    if (algo.name !== "rsa2048") await setKeyAttributes(c, algo);
    const keys = await generateOnCard(c);
    const listing = await c.gpg(["--with-colons", "--list-keys", keys.primary]);
    const algos = listing.stdout.split("\n").filter((l) => /^(pub|sub):/.test(l))
      .map((l) => l.split(":")[3]);
    assertEquals(algos.sort(), [...algo.colonAlgos].sort(), listing.stdout);

    // a fresh agent and daemon: the first signature must ask for the PIN
    await c.restartAgent();
    await c.pins([userPin(), userPin()]);
    const signed = await clearsign(c, keys.primary, `signed with ${algo.name}\n`);
    await assertGoodSignature(c, [], keys.sign, signed);
    assert((await c.prompts()).length >= 1, "a PIN prompt for the first signature");
    await detachSignVerify(c, keys.primary, keys.sign);

    await c.pins([userPin()]);
    await encryptDecrypt(c, keys.primary, `for ${algo.name}\n`);

    await c.restartAgent();
    await sshSignVerify(c, keys.auth, algo.sshType);
  }, { needs: needsFor(algo.name) });
}

/**
 * The default configuration as a new user has it: no reader pinned, the bed's second vpcd
 * reader empty (a laptop's built-in reader beside a token). Twenty signatures and `ssh-add -L`
 * work, and scd-ts's debug log shows no work at all for the empty reader: reader states say it
 * is empty, so nothing connects to it (docs/card-state.md). Both cells take the two vpcd slots.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { aidOf as profileAid, DAEMON, GNUPG, makeContext, PROFILE, USER_PIN } from "./_fixture.ts";
import { twoCardTest } from "./_two_cards.ts";
import {
  assertGoodSignature,
  clearsign,
  generateOnCard,
  setEccKeyAttributes,
  sshSignVerify,
} from "./_workflows.ts";

const EMPTY = "Virtual PCD 00 01";

twoCardTest(
  "default configuration, second reader empty: 20 signatures and ssh-add -L; no work for the empty reader",
  async (t) => {
    await t.plug(1, false); // card B out: reader 1 stays empty from here on
    const c = makeContext(t.bed, t.home, t.cards[0], t.serials[0], {
      aid: profileAid(PROFILE, t.serials[0]),
    });
    await setEccKeyAttributes(c, "1");
    const keys = await generateOnCard(c);
    await c.restartAgent(); // nothing verified, nothing cached
    const logBefore = (await t.home.scdLog()).length;
    await c.pins([{ pin: USER_PIN }]);
    for (let i = 0; i < 20; i++) {
      const signed = await clearsign(c, keys.primary, `signature ${i}\n`);
      if (i === 0 || i === 19) await assertGoodSignature(c, [], keys.primary, signed);
    }
    assertEquals((await c.prompts()).length, 1, "one prompt, then the cache");
    await sshSignVerify(c, keys.auth, /^ssh-ed25519$/);
    if (DAEMON === "scd-ts") {
      const log = (await t.home.scdLog()).slice(logBefore);
      const psos = log.split("\n").filter((l) => l.includes(": 002A9E9A")).length;
      assert(psos >= 20, `the debug log shows ${psos} PSO:CDS, not the 20 signatures`);
      const touched = log.split("\n").filter((l) => l.includes(EMPTY));
      assertEquals(touched, [], `the daemon did something with the empty reader`);
    }
  },
  { ignore: DAEMON === "stock" && GNUPG === "2.2" }, // stock 2.2 sees only the first reader
);

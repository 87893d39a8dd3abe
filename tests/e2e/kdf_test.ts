/**
 * KDF-DO (`gpg --card-edit kdf-setup`): after it, every PIN goes to the card as an iterated
 * and salted S2K hash (scdaemon-protocol.md §7.9). Keys generated afterwards sign and decrypt,
 * a PIN change works, the new PIN works, a wrong one is still "Bad PIN" with one decrement.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field } from "./_card_status.ts";
import { adminPin, cardTest, USER_PIN } from "./_fixture.ts";
import {
  assertGoodSignature,
  clearsign,
  encryptDecrypt,
  generateOnCard,
  workflow,
} from "./_workflows.ts";

const NEW_PIN = "246813";

cardTest(
  "kdf-setup: hashed PINs for generate, sign, decrypt, passwd and a wrong PIN",
  async (c) => {
    await c.pins([adminPin()]);
    const k = await workflow(c, "kdf-setup", () =>
      c.interact(["--card-edit"], {
        "cardedit.prompt": ["admin", "kdf-setup", "quit"],
      }));
    assertEquals(k.code, 0, k.stderr);
    assertEquals(field(await c.cardStatus(), "KDF setting"), "on");

    const keys = await generateOnCard(c);
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }]);
    const signed = await clearsign(c, keys.primary, "kdf\n");
    await assertGoodSignature(c, [], keys.sign, signed);
    await c.pins([{ pin: USER_PIN }]);
    await encryptDecrypt(c, keys.primary, "kdf secret\n");

    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
    const p = await c.interact(["--card-edit"], { "cardedit.prompt": ["passwd", "quit"] });
    assertEquals(p.code, 0, p.stderr);
    assert(p.status.includes("SC_OP_SUCCESS"), p.stderr);

    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }]);
    const bad = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "old\n" });
    assertMatch(bad.stderr, /signing failed: Bad PIN/);
    assertEquals(field(await c.cardStatus(), "PIN retry counter"), "2 0 3");
    await c.restartAgent();
    await c.pins([{ pin: NEW_PIN }]);
    await assertGoodSignature(c, [], keys.sign, await clearsign(c, keys.primary, "new\n"));
    assertEquals(field(await c.cardStatus(), "PIN retry counter"), "3 0 3");
  },
  { needs: ["kdf"] },
);

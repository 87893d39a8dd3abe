/**
 * No PC/SC transaction while a person is asked (issue 9, F9): while the pinentry takes 10 s
 * for the user PIN of a signature, another PC/SC client's SELECT goes through at once with
 * scd-ts. Stock's outcome is printed, not asserted: in its default mode it holds the card
 * exclusively (the other client gets a sharing violation), with `pcsc-shared` it uses no
 * transactions at all.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type CardContext, cardTest, CURVE25519, DAEMON, USER_PIN } from "./_fixture.ts";
import { otherClient } from "./_other_client.ts";
import {
  assertGoodSignature,
  clearsign,
  generateOnCard,
  setEccKeyAttributes,
} from "./_workflows.ts";

const SELECT_OPENPGP = "00A4040006D27600012401";
const ENTRY_SECONDS = 10;

/** Waits until the pinentry shows a dialog (gpg-agent sent GETPIN). */
async function promptShown(c: CardContext): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await c.prompts()).some((p) => p.command === "GETPIN")) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("Cannot see the PIN prompt: the pinentry never got GETPIN");
}

cardTest(
  `F9: another client's APDU during a ${ENTRY_SECONDS} s PIN entry waits less than 1 s`,
  async (c) => {
    await setEccKeyAttributes(c, "1");
    const keys = await generateOnCard(c);
    await c.restartAgent(); // nothing cached: the signature needs the person
    await c.pins([{ pin: USER_PIN, delaySeconds: ENTRY_SECONDS }]);
    const signing = clearsign(c, keys.primary, "typed slowly\n");
    await promptShown(c);
    const other = await otherClient(c, [SELECT_OPENPGP]);
    const signed = await signing;
    await assertGoodSignature(c, [], keys.primary, signed);
    console.log(
      `F9 ${DAEMON}: other client exit ${other.code}, waited ${other.ms} ms: ${other.out}`,
    );
    if (DAEMON === "scd-ts") {
      assertEquals(other.code, 0, other.out);
      assertEquals(other.sws, ["9000"], other.out);
      assert(other.ms < 1000, `the other client waited ${other.ms} ms`);
    }
  },
  { needs: CURVE25519 },
);

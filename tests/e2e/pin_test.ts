/**
 * PIN handling: change the user PIN, a wrong PIN decrements the retry counter (and gpg says
 * so), and a blocked PIN is unblocked with the Reset Code or with the Admin PIN.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field } from "./_card_status.ts";
import { ADMIN_PIN, adminPin, type CardContext, cardTest, USER_PIN } from "./_fixture.ts";
import { assertGoodSignature, clearsign, generateOnCard, workflow } from "./_workflows.ts";

const NEW_PIN = "654321";
const RESET_CODE = "87654321";

async function retryCounter(c: CardContext): Promise<string> {
  return field(await c.cardStatus(), "PIN retry counter");
}

/** A clearsign attempt answered with `pin`; returns gpg's result without asserting success. */
async function trySign(c: CardContext, key: string, pin: string) {
  await c.restartAgent();
  await c.pins([{ pin }]);
  return await c.gpg(["--local-user", key, "--clearsign"], { stdin: "try\n" });
}

/** Three wrong user PINs: the counter reaches 0. */
async function blockUserPin(c: CardContext, key: string): Promise<void> {
  for (let left = 2; left >= 0; left--) {
    const r = await trySign(c, key, "999999");
    assert(r.code !== 0, "a wrong PIN must fail");
    assertMatch(r.stderr, /signing failed: Bad PIN/);
    assertMatch(await retryCounter(c), new RegExp(`^${left} `));
  }
}

cardTest("passwd changes the user PIN and signing then needs the new one", async (c) => {
  const keys = await generateOnCard(c);
  await c.restartAgent();
  // old PIN, new PIN, repeat of the new PIN (gpg-agent asks twice for a new card PIN)
  await c.pins([{ pin: USER_PIN }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
  const r = await workflow(
    c,
    "passwd",
    () => c.interact(["--card-edit"], { "cardedit.prompt": ["passwd", "quit"] }),
  );
  assertEquals(r.code, 0, r.stderr);
  // (gpg's "PIN changed." goes to the tty; with --no-tty the status line is the outcome)
  assert(r.status.includes("SC_OP_SUCCESS"), r.stderr);
  const prompts = await c.prompts();
  assertEquals(prompts.length, 3, JSON.stringify(prompts, null, 1));
  assertMatch(prompts[1]!.desc ?? "", /New PIN/);
  assertEquals(await retryCounter(c), "3 0 3");

  await c.restartAgent();
  await c.pins([{ pin: NEW_PIN }]);
  const signed = await clearsign(c, keys.primary, "signed with the new PIN\n");
  await assertGoodSignature(c, [], keys.sign, signed);
});

cardTest("a wrong PIN decrements the retry counter and gpg reports Bad PIN", async (c) => {
  const keys = await generateOnCard(c);
  assertEquals(await retryCounter(c), "3 0 3");
  const bad = await workflow(c, "wrong-pin", () => trySign(c, keys.primary, "000000"));
  assertEquals(bad.code, 2, bad.stderr);
  assertMatch(bad.stderr, /gpg: signing failed: Bad PIN/);
  assert(bad.status.some((l) => l.startsWith("FAILURE sign ")), bad.stderr);
  assertEquals(await retryCounter(c), "2 0 3");
  // the next prompt warns about the remaining attempts
  const good = await trySign(c, keys.primary, USER_PIN);
  assertEquals(good.code, 0, good.stderr);
  const prompts = await c.prompts();
  assertMatch(prompts[0]!.desc ?? "", /Remaining attempts: 2/);
  // a correct PIN restores the counter
  assertEquals(await retryCounter(c), "3 0 3");
});

cardTest("a blocked PIN is unblocked with the Reset Code", async (c) => {
  const keys = await generateOnCard(c);
  await c.restartAgent();
  // admin → passwd → 4 (set the Reset Code): Admin PIN, new Reset Code, repeat
  await c.pins([adminPin(), { pin: RESET_CODE }, { pin: RESET_CODE }]);
  const set = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "passwd", "quit"],
    "cardutil.change_pin.menu": ["4", "q"],
  });
  assertEquals(set.code, 0, set.stderr);
  assert(set.status.includes("SC_OP_SUCCESS"), set.stderr);
  assertEquals(await retryCounter(c), "3 3 3");

  await blockUserPin(c, keys.primary);
  assertEquals(await retryCounter(c), "0 3 3");
  // stock still prompts (saying 0 attempts remain), sends VERIFY and gets 6983
  const blocked = await trySign(c, keys.primary, USER_PIN);
  assertEquals(blocked.code, 2, blocked.stderr);
  assertMatch(blocked.stderr, /gpg: signing failed: PIN blocked/);
  assertMatch((await c.prompts())[0]?.desc ?? "", /Remaining attempts: 0/);

  await c.restartAgent();
  // unblock: Reset Code, new PIN, repeat
  await c.pins([{ pin: RESET_CODE }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
  const r = await workflow(
    c,
    "unblock-reset-code",
    () => c.interact(["--card-edit"], { "cardedit.prompt": ["unblock", "quit"] }),
  );
  assertEquals(r.code, 0, r.stderr);
  assert(r.status.includes("SC_OP_SUCCESS"), r.stderr);
  // stock asks with "||" (no R flag), so the pinentry's prompt label stays "PIN"
  const prompts = await c.prompts();
  assertEquals(prompts.map((p) => p.desc), [
    "Please enter the Reset Code for the card",
    "New PIN",
    "Repeat this PIN",
  ]);
  assertEquals(await retryCounter(c), "3 3 3");
  const ok = await trySign(c, keys.primary, NEW_PIN);
  assertEquals(ok.code, 0, ok.stderr);
});

cardTest("a blocked PIN is unblocked with the Admin PIN", async (c) => {
  const keys = await generateOnCard(c);
  await blockUserPin(c, keys.primary);
  assertEquals(await retryCounter(c), "0 0 3");
  await c.restartAgent();
  // admin → passwd → 2 (unblock PIN): Admin PIN, new PIN, repeat
  await c.pins([{ pin: ADMIN_PIN }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
  const r = await workflow(c, "unblock-admin-pin", () =>
    c.interact(["--card-edit"], {
      "cardedit.prompt": ["admin", "passwd", "quit"],
      "cardutil.change_pin.menu": ["2", "q"],
    }));
  assertEquals(r.code, 0, r.stderr);
  assert(r.status.includes("SC_OP_SUCCESS"), r.stderr);
  assertEquals(await retryCounter(c), "3 0 3");
  const ok = await trySign(c, keys.primary, NEW_PIN);
  assertEquals(ok.code, 0, ok.stderr);
});

/**
 * The fast path through a real gpg-agent (issue 8): with the PIN in scd-ts's cache a warm
 * `gpg --clearsign` costs one transaction of six APDUs (SELECT, GET DATA 4F: the same-card check
 * before the PIN, VERIFY, PSO:CDS, VERIFY FF, VERIFY status),
 * everything else gpg-agent asks being answered from the card-state model; with a burst hold
 * the next signature of a burst is its PSO alone, and once the hold is over the card is not
 * left verified for anyone. scd-ts only (stock's numbers are in bench/results.md).
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type CardContext, cardTest, CURVE25519, DAEMON, USER_PIN } from "./_fixture.ts";
import { otherClient } from "./_other_client.ts";
import {
  assertGoodSignature,
  clearsign,
  generateOnCard,
  setEccKeyAttributes,
} from "./_workflows.ts";

const PSO_CDS = "002A9E9A20" + "5A".repeat(32) + "00";

async function apdusByIns(c: CardContext): Promise<Record<string, number>> {
  const log = await c.card.apduLog();
  return Object.fromEntries(Object.entries(log.byIns).map(([ins, t]) => [ins, t.count]));
}

/**
 * Another PC/SC client's PSO:CDS without a VERIFY of its own and without a SELECT (a SELECT
 * alone clears the verification): its status word — 6982 after VERIFY FF, 6D00 (nothing
 * selected) after a card reset, 9000 only if the card was left verified.
 */
async function otherPso(c: CardContext): Promise<string | undefined> {
  const r = await otherClient(c, [PSO_CDS]);
  assertEquals(r.code, 0, r.out);
  return r.sws?.[0];
}

async function keysAndFirstSign(c: CardContext, conf = ""): Promise<string> {
  await setEccKeyAttributes(c, "1");
  const keys = await generateOnCard(c);
  if (conf) await Deno.writeTextFile(`${c.home.path}/scd-ts.conf`, conf, { append: true });
  await c.restartAgent();
  await c.pins([{ pin: USER_PIN }]);
  await clearsign(c, keys.primary, "first\n"); // PIN entered once, now in scd-ts's cache
  return keys.primary;
}

cardTest(
  "a warm clearsign is one transaction: SELECT, AID, VERIFY, PSO:CDS, VERIFY FF, VERIFY status",
  async (c) => {
    const key = await keysAndFirstSign(c, "hold 0\n"); // the strict path without a burst hold
    await c.card.control({ cmd: "log-reset" });
    await c.pins([]);
    const signed = await clearsign(c, key, "warm\n");
    assertEquals(await apdusByIns(c), { A4: 1, CA: 1, "20": 3, "2A": 1 });
    assertEquals((await c.prompts()).length, 0, "no prompt: the PIN came from the cache");
    await assertGoodSignature(c, [], key, signed);
  },
  { ignore: DAEMON !== "scd-ts", needs: CURVE25519 },
);

cardTest(
  "burst hold: the next clearsign within the hold is its PSO alone; afterwards nothing is verified",
  async (c) => {
    // hold-max above the default 2 s: the next gpg process may take that long on a loaded CI
    const key = await keysAndFirstSign(c, "hold 4s\nhold-max 10s\n");
    await c.card.control({ cmd: "log-reset" });
    await c.pins([]);
    const signed = await clearsign(c, key, "in the burst\n");
    assertEquals(await apdusByIns(c), { "2A": 1 });
    await assertGoodSignature(c, [], key, signed);
    await new Promise((r) => setTimeout(r, 5000)); // the hold ends by itself
    const sw = await otherPso(c);
    assertEquals(sw === "6982" || sw === "6D00", true, `the other client's PSO answered ${sw}`);
  },
  { ignore: DAEMON !== "scd-ts", needs: CURVE25519 },
);

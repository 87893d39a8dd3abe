/**
 * Card removal and insertion while the daemon runs: scd-ts's reader monitor sees them, sends
 * gpg-agent the signal it asked for with `OPTION event-signal=12` (SIGUSR2; the agent counts
 * it in GETEVENTCOUNTER's card field, scdaemon-protocol.md §1.6), and the next
 * `gpg --card-status` shows the card again without restarting anything. Runs for
 * SCD_E2E_DAEMON=scd-ts (stock signals only sessions bound to the card, and the agent's pipe
 * is unbound after each RESTART).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { field } from "./_card_status.ts";
import { type CardContext, cardTest, DAEMON } from "./_fixture.ts";

/** gpg-agent's card event counter (`S EVENTCOUNTER <any> <key> <card>`). */
async function cardEvents(c: CardContext): Promise<number> {
  const r = await c.run("gpg-connect-agent", ["GETEVENTCOUNTER", "/bye"]);
  const m = /^S EVENTCOUNTER \d+ \d+ (\d+)$/m.exec(r.stdout);
  if (!m) throw new Error(`Cannot read the event counter: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

cardTest("card removal and insertion signal gpg-agent; card-status recovers", async (c) => {
  const first = await c.cardStatus();
  const before = await cardEvents(c);
  await c.card.control({ cmd: "remove" });
  await waitFor("the removal signal", async () => (await cardEvents(c)) > before);
  const gone = await c.gpg(["--card-status"]);
  assert(gone.code !== 0, `card-status without a card:\n${gone.stdout}`);
  const afterRemoval = await cardEvents(c);
  await c.card.control({ cmd: "insert" });
  await waitFor("the insertion signal", async () => (await cardEvents(c)) > afterRemoval);
  await waitFor("the card to be usable", async () => (await c.gpg(["--card-status"])).code === 0);
  const again = await c.cardStatus();
  assertEquals(field(again, "Application ID"), field(first, "Application ID"));
  assertEquals(again.fields, first.fields);
}, { ignore: DAEMON !== "scd-ts" });

/**
 * Fault matrix F1, F2, F3 and F6 (docs/reliability.md): another PC/SC client uses the card
 * between and during the daemon's operations. scd-ts must sign afterwards with no restart and
 * no extra prompt (its PIN cache survives all of these: the card is still the same insertion);
 * stock's outcome is printed, not asserted.
 */
import { DAEMON, USER_PIN } from "../_fixture.ts";
import { assertGoodSignature, clearsign } from "../_workflows.ts";
import { client, clientLines, delay, faultTest, getpins, REPEAT, spawnClient } from "./_faults.ts";
import { GET_AID, SELECT_OPENPGP, SELECT_PIV } from "./_fault_client.ts";
import { duringSignature } from "./_inflight.ts";

/** The client's answer as a note: its status words, or the PC/SC error it got. */
function answerNote(r: Record<string, unknown>): string {
  if (r.error !== undefined) return `client=error: ${String(r.error).slice(0, 80)}`;
  if (r.sws !== undefined) return `client=${(r.sws as string[]).join(",")}`;
  return `client=${JSON.stringify(r)}`;
}

faultTest("F1", "another client connects and transmits while the daemon is idle", async (f) => {
  const r = await client(f.c, "transmit", SELECT_OPENPGP, GET_AID);
  return { prompts: 0, notes: [answerNote(r)] };
});

faultTest("F2", "another client selects PIV between two operations", async (f) => {
  const r = await client(f.c, "transmit", SELECT_PIV);
  return { prompts: 0, notes: [answerNote(r)] };
}, {
  setup: async ({ c }) => {
    await c.card.control({ cmd: "other-aid", aid: "A000000308" });
  },
});

faultTest("F3a", "another client resets the card between two operations", async (f) => {
  const r = await client(f.c, "reset");
  return { prompts: 0, notes: [r.error === undefined ? "reset=done" : answerNote(r)] };
});

faultTest(
  "F3b",
  "another client resets the card while a signature waits on the card",
  async (f) => {
    const hit = await duringSignature(f.c, f.keys, async () => {
      const r = await client(f.c, "reset");
      return r.error === undefined ? `reset after ${r.ms} ms` : answerNote(r);
    });
    // the signature that was hit may fail (the card said so); the PIN stays cached: it was right
    return { prompts: 0, notes: [hit.note, hit.actNote] };
  },
);

const SIGNS = Number(Deno.env.get("SCD_FAULT_HAMMER_SIGNS") ?? REPEAT * 10);

faultTest("F6", `another client hammers the card while gpg signs ${SIGNS} times`, async (f) => {
  const hammer = spawnClient(f.c, "hammer", String(15 * 60 * 1000));
  const failures: string[] = [];
  try {
    await delay(500);
    await f.c.pins([{ pin: USER_PIN }]);
    for (let i = 0; i < SIGNS; i++) {
      try {
        const signed = await clearsign(f.c, f.keys.primary, `hammered ${i}\n`);
        await assertGoodSignature(f.c, [], f.keys.primary, signed);
      } catch (e) {
        failures.push(`sign ${i}: ${e instanceof Error ? e.message.slice(0, 200) : e}`);
      }
    }
  } finally {
    await hammer.stop();
  }
  const prompts = await getpins(f.c);
  const counts = clientLines(hammer).at(-1) ?? { stopped: "before its report" };
  const notes = [`signs=${SIGNS - failures.length}/${SIGNS}`, `prompts=${prompts}`];
  if (DAEMON === "scd-ts") {
    if (failures.length > 0) throw new Error(failures.join("\n"));
    if (prompts !== 0) throw new Error(`${prompts} PIN prompts while hammered (expected none)`);
    // strict PIN policy: the hammer's PSO:CDS never rides on our VERIFY
    if (Number(counts.psoAccepted ?? 0) !== 0) throw new Error(`hammer: ${JSON.stringify(counts)}`);
  }
  return { prompts: 0, notes: [...notes, `hammer=${JSON.stringify(counts)}`] };
}, { rounds: 1 });

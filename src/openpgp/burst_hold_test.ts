import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { HeldTransaction, HOLD_MAX_OPS } from "./burst_hold.ts";

/** A hold over a manual clock; `ran` records where each job ran. */
function setup(holdMs: number, limits: { maxMs?: number; maxOps?: number } = {}) {
  const clock = { now: 0 };
  const hold = new HeldTransaction<string>(holdMs, { ...limits, now: () => clock.now });
  const ran: string[] = [];
  const submit = (name: string) =>
    hold.submit(
      (session) => Promise.resolve(ran.push(`${name}@${session}`)),
      () => Promise.resolve(ran.push(`${name}@elsewhere`)),
    );
  return { clock, hold, ran, submit };
}

/** The holder's loop (runner.ts `#holding`): run jobs until `next` says the hold is over. */
async function serve(hold: HeldTransaction<string>, between?: () => void): Promise<number> {
  let served = 0;
  for (let job = await hold.next(); job; job = await hold.next()) {
    job.resolve(await job.run("held"));
    served++;
    between?.();
  }
  return served;
}

Deno.test("HeldTransaction ends hold-max after it began although operations keep coming", async () => {
  const { clock, hold, ran, submit } = setup(5_000, { maxMs: 2000 });
  const done = serve(hold, () => {
    clock.now += 500; // each operation takes 500 ms, the next one is already waiting
    if (clock.now <= 10_000) void submit(`op${clock.now}`);
  });
  void submit("op0");
  assertEquals(await done, 4, "0, 500, 1000, 1500; at 2000 the cap");
  assertEquals(hold.open, false);
  assertEquals(ran.at(-1), "op2000@elsewhere", "the queued operation gets its own transaction");
  assertEquals(submit("late"), undefined, "later ones do not join the ended hold");
});

Deno.test("HeldTransaction serves at most maxOps operations, the first included", async () => {
  const { hold, ran, submit } = setup(5_000, { maxMs: 60_000 });
  for (let i = 1; i <= 20; i++) void submit(`op${i}`);
  assertEquals(await serve(hold), HOLD_MAX_OPS - 1, "the first ran before the hold began");
  assertEquals(ran.filter((r) => r.endsWith("@held")).length, 15);
  assertEquals(ran.filter((r) => r.endsWith("@elsewhere")), [
    "op16@elsewhere",
    "op17@elsewhere",
    "op18@elsewhere",
    "op19@elsewhere",
    "op20@elsewhere",
  ]);
  assertEquals(hold.open, false);
});

Deno.test("HeldTransaction's wait for the next operation never outlasts hold-max", async () => {
  const { clock, hold, submit } = setup(5_000, { maxMs: 1030 });
  const first = hold.next(); // the hold begins at 0 and waits for an operation
  void submit("op");
  await first;
  clock.now = 1000; // that operation took 1 s: 30 ms of the hold are left
  const t = performance.now();
  assertEquals(await hold.next(), undefined, "nothing came within the 30 ms left");
  assert(performance.now() - t < 1000, "it waited what was left of hold-max, not the 5 s hold");
});

Deno.test("HeldTransaction with maxOps 1 or maxMs 0 ends the hold at once", async () => {
  for (const limits of [{ maxOps: 1 }, { maxMs: 0 }]) {
    const { hold, ran, submit } = setup(5_000, limits);
    void submit("op");
    assertEquals(await hold.next(), undefined);
    assertEquals(ran, ["op@elsewhere"]);
  }
});

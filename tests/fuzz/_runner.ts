/**
 * Runs one fuzzer: a card with keys is prepared once; each case gets a fresh daemon over a
 * fresh copy of that card, runs, and must pass the checks every case shares — no crash, no
 * hang, every reply a sensible OK/ERR, no card operation left open, and the daemon serving
 * `GETINFO version` (plus the fuzzer's own follow-up) afterwards.
 * @module
 */

import { FuzzClient, type Reply } from "./_client.ts";
import { FuzzDaemon, within } from "./_daemon.ts";
import { type FailureKind, Tally } from "./_outcomes.ts";
import {
  CASE_MS,
  type CaseContext,
  crashes,
  type Fuzzer,
  type FuzzSettings,
  fuzzSettings,
  internalErrors,
  logged,
  prepareCard,
  type Prepared,
  REPLY_MS,
  startCapture,
  stopCapture,
  tick,
} from "./_setup.ts";
import { Prng } from "./prng.ts";

/** How long a card operation may stay open after its session ended. */
const IDLE_MS = 1000;
/** The version `GETINFO version` reports by default. */
const VERSION = "2.4.8";

type Fail = (kind: FailureKind, detail: string) => void;

/** Run `fuzzer` with `settings`; prints the report and returns the counts. */
export async function runFuzzer(
  fuzzer: Fuzzer,
  settings: FuzzSettings = fuzzSettings(),
): Promise<Tally> {
  const tally = new Tally();
  const dir = await Deno.makeTempDir({ prefix: "scd-ts-fuzz-" });
  const started = Date.now();
  await startCapture();
  try {
    const prepared = await prepareCard(dir);
    const first = settings.only ?? 0;
    const last = settings.only ?? settings.count - 1;
    for (let index = first; index <= last; index++) {
      await runCase(
        fuzzer,
        prepared,
        { seed: settings.seed, index, verbose: settings.only },
        tally,
      );
    }
  } finally {
    await stopCapture();
    await Deno.remove(dir, { recursive: true });
  }
  const ms = Date.now() - started;
  console.log(tally.report(fuzzer.title, { seed: settings.seed, ms, replay: settings.only }));
  return tally;
}

/** Run case `index` on a fresh daemon and record its outcome in `tally`. */
export async function runCase(
  fuzzer: Fuzzer,
  prepared: Prepared,
  at: { seed: number; index: number; verbose?: number | undefined },
  tally: Tally,
): Promise<void> {
  const { index } = at;
  const fuzzCase = fuzzer.make(Prng.forCase(at.seed, index), index, prepared.grips);
  if (at.verbose !== undefined) console.log(`case ${index} input: ${fuzzCase.input}`);
  Deno.writeTextFileSync(prepared.statePath, prepared.state);
  const daemon = await FuzzDaemon.open(prepared.statePath);
  logged.length = 0;
  crashes.length = 0;
  const fail: Fail = (kind, detail) => tally.fail({ kind, index, detail, input: fuzzCase.input });
  const client = new FuzzClient(await daemon.connect());
  tally.cases++;
  const ctx = caseContext(daemon, client, prepared.grips, tally, fail, at.verbose !== undefined);
  try {
    const done = await within(fuzzCase.run(ctx).then(() => "done" as const), CASE_MS);
    if (done === "timeout") fail("hang", `case did not finish within ${CASE_MS} ms`);
    await followUp(fuzzer, ctx, prepared);
  } catch (e) {
    fail("crash", `case threw: ${e instanceof Error ? e.stack : String(e)}`);
  }
  if (!await client.ended(IDLE_MS)) fail("hang", "session did not end after EOF");
  await tick(); // let late rejections surface
  for (const c of crashes) fail("crash", c);
  for (const e of internalErrors()) fail("internal-error", e);
  await daemon.close();
}

function caseContext(
  daemon: FuzzDaemon,
  client: FuzzClient,
  grips: readonly string[],
  tally: Tally,
  fail: Fail,
  verbose: boolean,
): CaseContext {
  return {
    daemon,
    client,
    grips,
    fail,
    note: (name, n) => tally.note(name, n),
    check(reply: Reply, allowClosed = false) {
      if (verbose) {
        console.log(`  reply: ${[...reply.lines, JSON.stringify(reply.end)].join(" | ")}`);
      }
      if (reply.end.kind === "timeout") return fail("hang", "no reply within the deadline");
      if (reply.end.kind === "closed" && (allowClosed || client.inputClosed)) return;
      const problem = tally.reply(reply.end);
      if (problem) fail(reply.end.kind === "closed" ? "not-served" : "bad-err", problem);
    },
  };
}

/** The checks after a case: card free, session ended if it should, next command served. */
async function followUp(fuzzer: Fuzzer, ctx: CaseContext, prepared: Prepared): Promise<void> {
  const { daemon, client, fail } = ctx;
  const check = (reply: Reply) => ctx.check(reply);
  let next = client;
  if (client.dead || client.inputClosed) {
    if (!await client.ended(IDLE_MS * 3)) fail("hang", "session did not end after EOF");
    next = new FuzzClient(await daemon.connect());
  } else {
    await tick();
  }
  if (!await daemon.endHolds(IDLE_MS)) {
    fail("open-transaction", `a burst hold did not end within ${IDLE_MS} ms of its release`);
  } else if (next === client && daemon.backend.open !== 0) {
    fail("open-transaction", `${daemon.backend.open} card operation(s) open after the reply`);
  }
  if (!await daemon.cardIdle(IDLE_MS)) {
    fail("open-transaction", `a new card operation did not start within ${IDLE_MS} ms`);
  }
  fuzzer.beforeFollowUp?.(daemon);
  let synced = await next.sync(VERSION, REPLY_MS, check);
  if (!synced && next === client && client.dead) { // the case's input ended with BYE
    next = new FuzzClient(await daemon.connect());
    synced = await next.sync(VERSION, REPLY_MS, check);
  }
  if (!synced) fail("not-served", "GETINFO version afterwards got no answer");
  await fuzzer.followUp?.(next, prepared, ctx);
  if (next !== client && !await next.ended(IDLE_MS)) fail("hang", "follow-up session did not end");
}

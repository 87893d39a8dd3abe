/**
 * The smoke set per card profile (issue 10; docs/cards.md "Workflows per profile"): on one
 * card of SCD_E2E_PROFILE, through real gpg, one step per workflow — card-status, generate,
 * sign, second sign, decrypt, ssh auth, PIN isolation, ext. length, passwd, wrong PIN. The keys are generated once and
 * shared by the later steps (a failed generate fails them too). A step the profile or daemon
 * cannot do is printed "n/a" and counted ignored, never passed.
 *
 * With SCD_E2E_RESULTS=FILE every step's outcome is appended to FILE as a JSON line, for
 * tests/e2e/profile_matrix.ts.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field } from "./_card_status.ts";
import {
  adminPin,
  type CardContext,
  cardTest,
  CURVE25519,
  DAEMON,
  GNUPG,
  missingNeeds,
  type Need,
  PROFILE,
  USER_PIN,
} from "./_fixture.ts";
import { otherClient } from "./_other_client.ts";
import type { SmokeWorkflow } from "./_smoke_workflows.ts";
import {
  assertGoodSignature,
  type CardKeys,
  clearsign,
  encryptDecrypt,
  generateOnCard,
  setEccKeyAttributes,
  sshSignVerify,
} from "./_workflows.ts";

type Workflow = SmokeWorkflow;

const NEW_PIN = "654321";
const SELECT_OPENPGP = "00A4040006D27600012401";
const PSO_CDS = "002A9E9A20" + "5A".repeat(32) + "00";
/** Too short for any key: the card must refuse it for want of PW1 82 before reading it. */
const PSO_DECIPHER = "002A8086050011223344" + "00";

/** Curve 25519 where the profile offers it (fast), else its factory default (RSA-2048). */
const ECC = missingNeeds(PROFILE, CURVE25519).length === 0;

/** What a step saw worth a line in the matrix (prompt counts, how the PIN was cleared). */
let note = "";

async function record(workflow: Workflow, result: "pass" | "fail" | "n/a", why = "") {
  const file = Deno.env.get("SCD_E2E_RESULTS");
  if (!file) return;
  const line = { profile: PROFILE.name, daemon: DAEMON, gnupg: GNUPG, workflow, result, why };
  await Deno.writeTextFile(file, JSON.stringify(line) + "\n", { append: true });
}

/** One workflow as a step; n/a (ignored, printed) when `needs` or the daemon rule it out. */
async function workflow(
  t: Deno.TestContext,
  name: Workflow,
  options: { needs?: readonly Need[]; notFor?: { daemon: string; why: string } },
  fn: () => Promise<void>,
): Promise<void> {
  const missing = missingNeeds(PROFILE, options.needs ?? []);
  const why = missing.length > 0
    ? `profile ${PROFILE.name} lacks ${missing.join(", ")}`
    : options.notFor?.daemon === DAEMON
    ? options.notFor.why
    : undefined;
  if (why !== undefined) {
    console.log(`n/a: ${name} (${why})`);
    await record(name, "n/a", why);
    await t.step({ name: `${name} [n/a: ${why}]`, ignore: true, fn: () => {} });
    return;
  }
  note = "";
  const ok = await t.step(name, fn);
  await record(name, ok ? "pass" : "fail", note);
}

async function retries(c: CardContext): Promise<string> {
  return field(await c.cardStatus(), "PIN retry counter").split(" ")[0]!;
}

/** Another PC/SC client's status words; fails the step if it cannot connect. */
async function other(c: CardContext, apdus: string[]): Promise<string[]> {
  const r = await otherClient(c, apdus);
  assertEquals(r.code, 0, r.out);
  return r.sws!;
}

/** The card's APDU log since the last `log-reset`: by INS, VERIFYs, resets. */
async function cardLog(c: CardContext) {
  const r = await c.card.control({ cmd: "log" });
  return {
    byIns: r.byIns as Record<string, { count: number; extended?: number }>,
    verifies: r.verifies as { p1: string; p2: string; sw: string }[],
    resets: Number(r.resets ?? 0),
  };
}

/** Sets all three key attributes to RSA-2048 through card-edit key-attr. */
async function setRsa2048(c: CardContext): Promise<void> {
  await c.pins([adminPin(), adminPin(), adminPin()]);
  const r = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "key-attr", "quit"],
    "cardedit.genkeys.algo": "1",
    "cardedit.genkeys.size": "2048",
  });
  assertEquals(r.code, 0, r.transcript.join("\n") + r.stderr);
}

/** After our operation: nothing verified for a client that skips VERIFY, selected or not. */
async function assertNothingVerified(c: CardContext, pso: string): Promise<void> {
  const direct = await other(c, [pso]);
  assert(direct[0] !== "9000", `PSO straight after the operation answered ${direct}`);
  assertEquals(await other(c, [SELECT_OPENPGP, pso]), ["9000", "6982"]);
}

cardTest(`smoke set on profile ${PROFILE.name}`, async (c, t) => {
  let keys: CardKeys | undefined;
  const need = () => {
    if (!keys) throw new Error("no keys: the generate step failed");
    return keys;
  };
  const version = `${PROFILE.version >> 8}.${PROFILE.version & 0xff}`;

  await workflow(t, "card-status", {}, async () => {
    const s = await c.cardStatus();
    assertEquals(field(s, "Application ID"), c.aid);
    assertEquals(field(s, "Version"), version);
    assertEquals(field(s, "Serial number"), c.serial);
    assertEquals(field(s, "Signature counter"), "0");
  });

  await workflow(t, "generate", {}, async () => {
    if (ECC) await setEccKeyAttributes(c, "1");
    keys = await generateOnCard(c);
    await c.restartAgent(); // nothing verified, nothing cached for the steps that follow
  });

  await workflow(t, "sign", {}, async () => {
    await c.pins([{ pin: USER_PIN }]);
    const signed = await clearsign(c, need().primary, "smoke\n");
    await assertGoodSignature(c, [], need().sign, signed);
  });

  await workflow(t, "second sign", {}, async () => {
    // two signatures in a row: a card with PIN valid once (C4 byte 0 = 00) needs a VERIFY
    // for each; stock asks the person every time (gnupg do_sign, force_chv1), and so does
    // scd-ts (docs/pin-policy.md); a card valid for several asks once
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }, { pin: USER_PIN }]);
    for (const text of ["first\n", "second\n"]) {
      const signed = await clearsign(c, need().primary, text);
      await assertGoodSignature(c, [], need().sign, signed);
    }
    const asked = (await c.prompts()).filter((p) => p.command === "GETPIN").length;
    note = `PIN prompts: ${asked}`;
    assertEquals(asked, PROFILE.pw1ValidMultiple ? 1 : 2);
  });

  await workflow(t, "decrypt", {}, async () => {
    await c.pins([{ pin: USER_PIN }]);
    await encryptDecrypt(c, need().primary, "smoke secret\n");
  });

  await workflow(t, "ssh auth", {}, async () => {
    await sshSignVerify(c, need().auth, ECC ? /^ssh-ed25519$/ : /^ssh-rsa$/);
  });

  await workflow(t, "PIN isolation", {
    notFor: { daemon: "stock", why: "stock holds the card exclusively (pin_policy_test.ts)" },
  }, async () => {
    // the default (strict) policy: after a sign, then after a decrypt, another PC/SC client
    // without VERIFY gets 6982
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }, { pin: USER_PIN }]);
    await c.card.control({ cmd: "log-reset" });
    await clearsign(c, need().primary, "isolated\n");
    await assertNothingVerified(c, PSO_CDS); // waits for scd-ts's transaction (and hold) to end
    const log = await cardLog(c);
    const ff = log.verifies.filter((v) => v.p1 === "FF").map((v) => `${v.p2}:${v.sw}`);
    note = `VERIFY FF [${ff.join(" ")}], card resets ${log.resets}`;
    // P1=FF on a 3.x card that has it; else (2.x cards, or P1=FF refused) the strict policy's
    // card reset (src/openpgp/pin_reset.ts)
    if (PROFILE.capabilities.verifyResetP1FF && PROFILE.version >= 0x0300) {
      assert(ff.includes("81:9000"), note);
    } else assert(log.resets >= 1, note);
    await encryptDecrypt(c, need().primary, "isolated secret\n");
    await assertNothingVerified(c, PSO_DECIPHER);
  });

  await workflow(t, "ext. length", { needs: ["extendedLength"] }, async () => {
    // RSA-2048 keys: the public key read (Le 270) and PSO:DECIPHER (Lc 257) go extended on a
    // card that announces extended Lc/Le, with both daemons (gnupg RSA_SMALL_SIZE_KEY/OP)
    await c.restartAgent();
    if (ECC) await setRsa2048(c);
    await c.card.control({ cmd: "log-reset" });
    keys = await generateOnCard(c);
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }]);
    await encryptDecrypt(c, need().primary, "long\n");
    const log = (await cardLog(c)).byIns;
    note = `extended: 47 ${log["47"]?.extended ?? 0}/${log["47"]?.count ?? 0}, ` +
      `2A ${log["2A"]?.extended ?? 0}/${log["2A"]?.count ?? 0}`;
    assert((log["47"]?.extended ?? 0) > 0, note);
    assert((log["2A"]?.extended ?? 0) > 0, note);
  });

  await workflow(t, "passwd", {}, async () => {
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }, { pin: NEW_PIN }, { pin: NEW_PIN }]);
    const r = await c.interact(["--card-edit"], { "cardedit.prompt": ["passwd", "quit"] });
    assertEquals(r.code, 0, r.stderr);
    assert(r.status.includes("SC_OP_SUCCESS"), r.stderr);
    await c.restartAgent();
    await c.pins([{ pin: NEW_PIN }]);
    const signed = await clearsign(c, need().primary, "new PIN\n");
    await assertGoodSignature(c, [], need().sign, signed);
  });

  await workflow(t, "wrong PIN", {}, async () => {
    const before = Number(await retries(c));
    await c.restartAgent();
    await c.pins([{ pin: "000000" }]);
    const bad = await c.gpg(["--local-user", need().primary, "--clearsign"], { stdin: "x\n" });
    assertEquals(bad.code, 2, bad.stderr);
    assertMatch(bad.stderr, /gpg: signing failed: Bad PIN/);
    assertEquals(Number(await retries(c)), before - 1, "one try spent, no more");
  });
});

/**
 * The smoke set per card profile (issue 10; docs/cards.md "Workflows per profile"): on one
 * card of SCD_E2E_PROFILE, through real gpg, one step per workflow — card-status, generate,
 * sign, decrypt, ssh auth, PIN isolation, passwd, wrong PIN. The keys are generated once and
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
  const ok = await t.step(name, fn);
  await record(name, ok ? "pass" : "fail");
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
    await clearsign(c, need().primary, "isolated\n");
    await assertNothingVerified(c, PSO_CDS);
    await encryptDecrypt(c, need().primary, "isolated secret\n");
    await assertNothingVerified(c, PSO_DECIPHER);
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

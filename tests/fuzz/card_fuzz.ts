/**
 * The card-response fuzzer: the real command layer reads a card whose answers are spoiled
 * (see _card_mutations.ts) — SERIALNO, LEARN --force, GETATTR, READKEY, KEYINFO --list,
 * READCERT, RANDOM, PKSIGN/PKAUTH/PKDECRYPT/CHECKPIN with the PIN answered — and must answer
 * each command with a sensible OK/ERR, leave no card operation open, and serve SERIALNO
 * again once the card answers sanely.
 * @module
 */

import { caseMutator } from "./_card_mutations.ts";
import { type FuzzClient, type InquiryResponder } from "./_client.ts";
import { USER_PIN } from "./_inquiry_answers.ts";
import { type CaseContext, type Fuzzer, pinAnswer, type Prepared, REPLY_MS } from "./_setup.ts";
import type { Prng } from "./prng.ts";

const ATTRS = [
  "SERIALNO",
  "KEY-FPR",
  "KEY-TIME",
  "DISP-NAME",
  "LOGIN-DATA",
  "CHV-STATUS",
  "KEY-ATTR",
  "EXTCAP",
  "SIG-COUNTER",
  "MANUFACTURER",
  "UIF-1",
  "KDF",
  "PRIVATE-DO-1",
  "CA-FPR",
  "PUBKEY-URL",
  "APPTYPE",
];
const DIGEST = "11".repeat(32);
/** An X25519 public point (the base point), as gpg-agent sends an ECDH ephemeral key. */
const ECDH_POINT = "40" + "09" + "00".repeat(31);

/** Commands a case may run on the spoiled card (each a list of lines sent in order). */
function commandsFor(prng: Prng, grips: readonly string[]): string[][] {
  const slot = prng.range(1, 3);
  return [
    ["SERIALNO"],
    ["SERIALNO --demand=D276000124010304FFFE000000010000"],
    ["LEARN --force"],
    ["LEARN --force --keypairinfo"],
    [`GETATTR ${prng.pick(ATTRS)}`],
    [`READKEY OPENPGP.${slot}`],
    [`READKEY --info OPENPGP.${slot}`],
    [`READKEY ${grips[slot - 1] ?? "OPENPGP.1"}`],
    ["KEYINFO --list"],
    [`KEYINFO ${grips[slot - 1] ?? "OPENPGP.1"}`],
    ["READCERT OPENPGP.3"],
    ["RANDOM 16"],
    ["GETINFO status"],
    [`SETDATA ${DIGEST}`, "PKSIGN --hash=sha256 OPENPGP.1"],
    [`SETDATA ${DIGEST}`, "PKAUTH OPENPGP.3"],
    [`SETDATA ${ECDH_POINT}`, "PKDECRYPT OPENPGP.2"],
    ["CHECKPIN D276000124010304FFFE000000010000"],
  ];
}

/** Answers NEEDPIN with the right PIN (the card is what misbehaves here), others with END. */
const rightPin: InquiryResponder = (inquiry) =>
  inquiry.startsWith("NEEDPIN")
    ? { bytes: pinAnswer(USER_PIN) }
    : { bytes: new TextEncoder().encode("END\n") };

/** LEARN --force lines that a case may change legitimately (a signature counts). */
const CHANGING = /^S SIG-COUNTER /;

/**
 * SERIALNO must work again once the card is sane. LEARN --force is compared with the
 * unspoiled card's: a difference means the daemon kept something a spoiled answer told it
 * (counted, not failed: stock also keeps what it read when the card was opened).
 */
async function servedAgain(client: FuzzClient, prepared: Prepared, ctx: CaseContext) {
  const r = await client.transact("SERIALNO", REPLY_MS, rightPin);
  if (r.end.kind !== "ok" || !r.lines.some((l) => l.startsWith("S SERIALNO "))) {
    return ctx.fail("not-served", `SERIALNO with a sane card again: ${JSON.stringify(r)}`);
  }
  if (ctx.daemon.card.mutated === 0) return; // nothing spoiled, nothing can be stale
  const learn = await client.transact("LEARN --force", REPLY_MS, rightPin);
  if (learn.end.kind !== "ok") {
    return ctx.fail("not-served", `LEARN --force with a sane card again: ${learn.end.kind}`);
  }
  const want = prepared.learn.filter((l) => !CHANGING.test(l));
  const stale = learn.lines.filter((l) => !CHANGING.test(l) && !want.includes(l));
  if (stale.length === 0) return;
  ctx.note("cases with stale card facts after LEARN --force");
  for (const line of stale) ctx.note(`stale ${line.split(" ")[1]}`);
}

/** The card-response fuzzer. */
export const cardFuzzer: Fuzzer = {
  title: "card responses",
  make(prng, _index, grips) {
    const mutator = caseMutator(prng);
    const all = commandsFor(prng, grips);
    const lines = Array.from({ length: prng.range(1, 3) }, () => prng.pick(all)).flat();
    return {
      input: `${mutator.name}; commands: ${lines.join(" / ")}`,
      async run(ctx) {
        ctx.daemon.card.mutate = mutator.mutate;
        for (const line of lines) {
          if (ctx.client.dead) return;
          ctx.check(await ctx.client.transact(line, REPLY_MS, rightPin));
        }
        const spoiled = ctx.daemon.card.mutated;
        ctx.note("spoiled responses", spoiled);
        if (spoiled > 0) ctx.note("cases with a spoiled response");
      },
    };
  },
  beforeFollowUp(daemon) {
    daemon.card.mutate = undefined;
  },
  followUp: servedAgain,
};

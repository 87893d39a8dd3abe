/**
 * The test bed itself: the parsers the workflows rely on, the test pinentry answering and
 * cancelling for this gnupg version's agent, and the reaper leaving no daemon behind.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { parseDenoTestSummary } from "../run_suites.ts";
import { GnupgBed } from "../bed/gnupg.ts";
import { GnupgHome } from "../bed/gnupghome.ts";
import { decodeAssuan, parsePinentryLog } from "../bed/pinentry.ts";
import { alive, pidsWithEnv } from "../bed/procs.ts";
import { field, parseCardStatus } from "./_card_status.ts";
import { cardTest, GNUPG_VERSION, USER_PIN } from "./_fixture.ts";

/** A reader that does not exist: these tests need no card, and must not see another's. */
const NO_READER = "No Such Reader 00 00";
import { generateOnCard, signatureCounter } from "./_workflows.ts";

Deno.test("decodeAssuan() decodes percent escapes and keeps other bytes", () => {
  assertEquals(decodeAssuan("Please unlock%0A%0ANumber: 1%25"), "Please unlock\n\nNumber: 1%");
  assertEquals(decodeAssuan("%1ENumber%1F: x %zz"), "\x1eNumber\x1f: x %zz");
});

Deno.test("parsePinentryLog() pairs each dialog with its texts and answer", () => {
  const log = [
    "# start 1",
    "> OK Pleased to meet you",
    "< SETDESC Please unlock the card%0A%0ANumber: FFFE 00000001",
    "> OK",
    "< SETPROMPT PIN",
    "> OK",
    "< SETERROR Bad PIN",
    "> OK",
    "< GETPIN",
    "> D [pin]",
    "> OK",
    "< GETPIN",
    "# exhausted",
    "> ERR 83886179 Operation cancelled <Pinentry>",
    "# start 2",
    "< CONFIRM",
    "> OK",
  ].join("\n");
  const prompts = parsePinentryLog(log);
  assertEquals(prompts.length, 3);
  assertEquals(prompts[0]!.desc, "Please unlock the card\n\nNumber: FFFE 00000001");
  assertEquals(prompts[0]!.prompt, "PIN");
  assertEquals(prompts[0]!.error, "Bad PIN");
  assertEquals(prompts[0]!.answered, "pin");
  assertEquals(prompts[1]!.error, undefined);
  assertEquals([prompts[1]!.answered, prompts[1]!.exhausted], ["cancel", true]);
  assertEquals([prompts[2]!.command, prompts[2]!.desc, prompts[2]!.answered], [
    "CONFIRM",
    undefined,
    "ok",
  ]);
});

Deno.test("parseDenoTestSummary() counts tests, not steps", () => {
  assertEquals(parseDenoTestSummary("ok | 3 passed (5 steps) | 0 failed (2s)\n"), {
    passed: 3,
    failed: 0,
    ignored: 0,
  });
  assertEquals(
    parseDenoTestSummary("x\nFAILED | 2 passed (2 steps) | 1 failed (1 step) | 1 ignored (9ms)\n"),
    { passed: 2, failed: 1, ignored: 1 },
  );
  assertEquals(parseDenoTestSummary("error: Module not found\n"), undefined);
});

Deno.test("parseCardStatus() reads labelled fields and key creation dates", () => {
  const s = parseCardStatus([
    "Reader ...........: Virtual PCD 00 00",
    "PIN retry counter : 3 0 3",
    "Encryption key....: 1234 5678",
    "      created ....: 2026-01-01 00:00:00",
  ].join("\n"));
  assertEquals(field(s, "Reader"), "Virtual PCD 00 00");
  assertEquals(field(s, "PIN retry counter"), "3 0 3");
  assertEquals(field(s, "Encryption key"), "1234 5678");
  assertEquals(s.created.get("Encryption key"), "2026-01-01 00:00:00");
});

Deno.test(`test pinentry answers and records a passphrase prompt (gnupg ${GNUPG_VERSION})`, async () => {
  const bed = await GnupgBed.open(GNUPG_VERSION);
  const home = await GnupgHome.create(bed, { daemon: "stock", readerPort: NO_READER });
  try {
    const pass = "correct-horse-42-staple"; // long and with digits: no "insecure" CONFIRM
    await home.pinentry.script([{ pin: pass }]);
    const gen = await bed.gpg(home.path, ["--quick-gen-key", "Soft <s@example.org>", "ed25519"]);
    assertEquals(gen.code, 0, gen.stderr);
    const prompts = await home.pinentry.prompts();
    assertEquals(prompts.length, 1);
    assertMatch(prompts[0]!.desc ?? "", /passphrase/);
    assertEquals(prompts[0]!.repeat, true);
    assertEquals(await home.pinentry.consumed(), 1);
    // the passphrase really protects the key: a cancelled prompt cannot sign
    await home.killDaemons();
    await home.pinentry.script(["cancel"]);
    const sign = await bed.gpg(home.path, ["--clearsign"], { stdin: "x\n" });
    assert(sign.code !== 0);
    assertMatch(sign.stderr, /Operation cancelled/);
    await home.pinentry.script([{ pin: pass }]);
    const ok = await bed.gpg(home.path, ["--clearsign"], { stdin: "x\n" });
    assertEquals(ok.code, 0, ok.stderr);
  } finally {
    await home.close();
    await bed.close();
  }
});

Deno.test(`closing a home leaves no gpg-agent or scdaemon behind (gnupg ${GNUPG_VERSION})`, async () => {
  const bed = await GnupgBed.open(GNUPG_VERSION);
  const home = await GnupgHome.create(bed, { daemon: "stock", readerPort: NO_READER });
  let pids: number[] = [];
  try {
    const r = await bed.run("gpg-connect-agent", ["SCD GETINFO version", "/bye"], {
      home: home.path,
    });
    // "2.4" is 2.4.7, "2.4.9" exactly that
    const version = GNUPG_VERSION.replaceAll(".", "\\.");
    assertMatch(r.stdout, new RegExp(`^D ${version}(\\.\\d+)?$`, "m"));
    pids = pidsWithEnv("GNUPGHOME", home.path);
    const names = pids.map((p) => Deno.readTextFileSync(`/proc/${p}/comm`).trim()).sort();
    assertEquals(names, ["gpg-agent", "scdaemon"]);
  } finally {
    await home.close();
    await bed.close();
  }
  assertEquals(pids.filter(alive), []);
  assertEquals(pidsWithEnv("GNUPGHOME", home.path), []);
});

cardTest("a cancelled PIN prompt fails the signature and leaves the counters alone", async (c) => {
  const keys = await generateOnCard(c);
  await c.restartAgent();
  const counter = await signatureCounter(c);
  await c.pins(["cancel"]);
  const r = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "no\n" });
  assertEquals(r.code, 2, r.stderr);
  assertMatch(r.stderr, /signing failed: Operation cancelled/);
  const s = await c.cardStatus();
  assertEquals(field(s, "PIN retry counter"), "3 0 3");
  assertEquals(Number(field(s, "Signature counter")), counter);
  assert(USER_PIN.length === 6);
});

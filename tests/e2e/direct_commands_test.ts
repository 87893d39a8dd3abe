/**
 * The direct check (issue 21, docs/conformance.md "Direct commands"): a fixed sequence of the
 * commands scripts send through `gpg-connect-agent 'SCD …'` and no gpg workflow sends
 * (tests/e2e/_direct_sequence.ts), sent straight to `<daemon> --server` — no gpg-agent — on a
 * fresh card. Run for stock and for scd-ts (SCD_E2E_DAEMON) on the same card state, it writes
 * the replies as the conformance workflow `direct-commands`, which `deno task conformance`
 * diffs line by line, each reply tagged with its command, against the allowlist.
 *
 * The test itself asserts the replies issue 21 found different, so it fails on either daemon
 * when the behaviour changes: a SERIALNO of an application the card lacks is CONFLICT and
 * keeps the card current; READCERT of the empty slot is NOT_FOUND; RANDOM 0 and -1 fail as
 * stock's allocation does; a KEY-ATTR the card refused keeps the Admin PIN; PKDECRYPT input
 * that can never work is rejected without a PIN prompt. On 2.4 also the 2.4.4–2.4.6 changes:
 * a too-short new PIN or Reset Code is refused before any APDU (T6843), DEVINFO --watch is
 * refused on the pipe (T7151).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { CapturedWorkflow } from "../conformance/capture_format.ts";
import { normalizeLine } from "../conformance/normalize.ts";
import { CAPTURE_DIR } from "./_capture.ts";
import { DirectDaemon } from "./_direct.ts";
import { fillVars, learnVars, SEQUENCE, type SequenceVars } from "./_direct_sequence.ts";
import { cardTest, GNUPG } from "./_fixture.ts";

/** The conformance workflow name of the check. */
export const DIRECT_WORKFLOW = "direct-commands";

interface Exchange {
  command: string;
  reply: string[];
}

/**
 * The capture lines of one exchange: the command, then each reply line normalized and tagged
 * with its command (`-> [RANDOM 0] ERR 100696112`), so that the allowlist can name the command
 * whose reply differs. Consecutive D lines are one payload.
 */
function captureLines({ command, reply }: Exchange): string[] {
  const sent = normalizeLine("<-", command);
  const tag = sent.slice(3);
  const out = [sent];
  for (const line of reply) {
    if (line.startsWith("D ") && out.at(-1)?.startsWith(`-> [${tag}] D `)) continue;
    out.push(`-> [${tag}] ${normalizeLine("->", line).slice(3)}`);
  }
  return out;
}

/** The final line of the reply to the `n`th (0-based) command equal to `command`. */
function finalLine(log: Exchange[], command: string, n = 0): string {
  const found = log.filter((e) => e.command === command)[n];
  if (!found) throw new Error(`Cannot find the reply to ${command}`);
  return found.reply.at(-1)!;
}

function inquiries(log: Exchange[], command: string, n = 0): number {
  const found = log.filter((e) => e.command === command)[n]!;
  return found.reply.filter((l) => l.startsWith("INQUIRE NEEDPIN ")).length;
}

cardTest(
  "direct commands: stock's replies to the script commands, straight to --server",
  async (c) => {
    // the fixture's gpg-agent started a daemon to find the card; it must not hold the reader
    await c.restartAgent();
    const daemon = await DirectDaemon.start(c.home);
    const log: Exchange[] = [];
    const vars: SequenceVars = {};
    try {
      for (const template of SEQUENCE) {
        const command = fillVars(template, vars);
        const reply = await daemon.transact(command);
        for (const line of reply) learnVars(line, vars);
        log.push({ command: template, reply });
      }
    } finally {
      await daemon.close();
    }
    if (CAPTURE_DIR !== undefined) {
      const capture: CapturedWorkflow = {
        workflow: DIRECT_WORKFLOW,
        test: "direct commands",
        gnupg: c.bed.version,
        daemon: c.home.daemon,
        serial: c.serial,
        assuan: log.flatMap(captureLines),
        // the card side is the e2e workflows' business; this check compares replies only
        apdus: { total: 0, byIns: {} },
        prompts: [],
      };
      const dir = `${CAPTURE_DIR}/${c.bed.version}/${c.home.daemon}`;
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(`${dir}/${DIRECT_WORKFLOW}.json`, JSON.stringify(capture, null, 1));
    }

    // SERIALNO of an application the card lacks: CONFLICT; the card stays current (2.4 can say)
    assertEquals(finalLine(log, "SERIALNO piv"), "ERR 100663366 Conflicting use <SCD>");
    if (GNUPG === "2.4") {
      const after = log[log.findIndex((e) => e.command === "SERIALNO piv") + 1]!;
      assertEquals(after.reply, [`S SERIALNO ${c.aid} openpgp`, "OK"]);
    }
    assertEquals(finalLine(log, "LEARN --force"), "ERR 100663406 Card removed <SCD>");
    assertEquals(finalLine(log, "SERIALNO nosuchapp"), "ERR 100663366 Conflicting use <SCD>");
    assertEquals(finalLine(log, "READCERT OPENPGP.3"), "ERR 100663323 Not found <SCD>");
    assertEquals(finalLine(log, "RANDOM 0"), "ERR 100696112 Invalid argument <SCD>");
    assertEquals(finalLine(log, "RANDOM abc"), "ERR 100696112 Invalid argument <SCD>");
    assertEquals(finalLine(log, "RANDOM -1"), "ERR 100696150 Cannot allocate memory <SCD>");

    // the Admin PIN once; the refused KEY-ATTR keeps it, the accepted one forgets it
    assertEquals(inquiries(log, "SETATTR DISP-NAME Doe<<Jane"), 1);
    assert(finalLine(log, "SETATTR KEY-ATTR --force 1 1 1024").startsWith("ERR "));
    assertEquals([inquiries(log, "SETATTR DISP-LANG en"), finalLine(log, "SETATTR DISP-LANG en")], [
      0,
      "OK",
    ]);
    assertEquals(inquiries(log, "SETATTR DISP-SEX 2"), 1);

    // PKDECRYPT input that cannot work: an error and no PIN prompt, up to the CHECKPIN
    const from = log.findIndex((e) => e.command === "PKDECRYPT OPENPGP.2");
    const to = log.findIndex((e) => e.command === "CHECKPIN {SERIAL}");
    for (const e of log.slice(from, to).filter((e) => !e.command.startsWith("SETDATA"))) {
      assert(e.reply.at(-1)!.startsWith("ERR "), `${e.command}: ${e.reply.join(" | ")}`);
      assertEquals(inquiries([e], e.command), 0, e.command);
    }
    assertEquals([inquiries(log, "CHECKPIN {SERIAL}"), finalLine(log, "CHECKPIN {SERIAL}")], [
      1,
      "OK",
    ]);
    assertEquals(finalLine(log, "PKDECRYPT {GRIP2}"), "OK");

    // 2.4.4-2.4.6 on the wire (2.2.40 predates them; the allowlist says how it differs)
    if (GNUPG === "2.4") {
      // a new PIN or Reset Code under the card's minimum, refused before any APDU (T6843)
      assertEquals(finalLine(log, "PASSWD OPENPGP.1"), "ERR 100663383 Bad PIN <SCD>");
      assertEquals(finalLine(log, "PASSWD OPENPGP.3"), "ERR 100663383 Bad PIN <SCD>");
      assertEquals(
        finalLine(log, "PASSWD --reset OPENPGP.2"),
        "ERR 100663618 Bad reset code <SCD>",
      );
      // the watch is refused on the pipe after the list (T7151)
      const watch = log.find((e) => e.command === "DEVINFO --watch")!.reply;
      assertEquals([watch[0], watch.at(-1)], [
        "S DEVINFO_START",
        "ERR 100663369 Invalid handle <SCD>",
      ]);
      assertEquals(finalLine(log, "GETINFO manufacturer 6"), "OK");
    }
  },
);

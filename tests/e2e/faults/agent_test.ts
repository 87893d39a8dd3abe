/**
 * Fault matrix F7 and F8 (docs/reliability.md).
 * - F7: another client holds a PC/SC transaction for 30 s (SCD_FAULT_HOLD_MS): the daemon
 *   waits for the card, but gpg-agent's questions (SCD GETATTR SERIALNO, SCD SERIALNO) are
 *   still answered meanwhile (scd-ts: from its card-state model, no card access). What happens
 *   to the blocked signature is recorded; a bounded wait is asserted only when scd-ts has a
 *   setting for it (none yet: see docs/reliability.md).
 * - F8: gpg-agent or gpg is killed in the middle of a signature and in the middle of a PIN
 *   inquiry; another client must at once get the card exclusively (nothing left held), and
 *   the next signature works.
 */
import { CONFIG_KEYS } from "../../../src/scd/config.ts";
import { killQuietly } from "../../bed/procs.ts";
import { type CardContext, DAEMON, USER_PIN } from "../_fixture.ts";
import type { CardKeys } from "../_workflows.ts";
import { client, clientLines, delay, faultTest, homePids, REPEAT, spawnClient } from "./_faults.ts";
import { duringSignature, gpgReason } from "./_inflight.ts";

const HOLD_MS = Number(Deno.env.get("SCD_FAULT_HOLD_MS") ?? 30000);
const HOLD_ROUNDS = Number(Deno.env.get("SCD_FAULT_HOLD_REPEAT") ?? 1);
/** A scd-ts setting that bounds the wait for a busy card, if there is one. */
const WAIT_KNOB = CONFIG_KEYS.find((k) => /wait|busy|transaction|card-timeout/.test(k));

/** Asks the agent `command` and times the answer. */
async function question(c: CardContext, command: string): Promise<{ ok: boolean; ms: number }> {
  const started = Date.now();
  const r = await c.run("gpg-connect-agent", [command, "/bye"]);
  return { ok: /^S SERIALNO /m.test(r.stdout) && /^OK/m.test(r.stdout), ms: Date.now() - started };
}

async function blockedSignature(c: CardContext, keys: CardKeys) {
  const started = Date.now();
  await c.pins([{ pin: USER_PIN }]);
  const r = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "blocked\n" });
  const s = Math.round((Date.now() - started) / 1000);
  return r.code === 0
    ? `blocked=ok after ${s} s`
    : `blocked=failed after ${s} s: ${gpgReason(r.stderr)}`;
}

faultTest("F7", `another client holds a transaction for ${HOLD_MS / 1000} s`, async (f) => {
  const holder = spawnClient(f.c, "hold", String(HOLD_MS));
  try {
    await holder.waitForLine(/"held":true|"error"/, 20000);
    const held = clientLines(holder)[0]?.held === true;
    const signing = blockedSignature(f.c, f.keys);
    await delay(2000);
    const getattr = await question(f.c, "SCD GETATTR SERIALNO");
    const serialno = await question(f.c, "SCD SERIALNO");
    const notes = [
      held ? "hold=held" : `hold=${JSON.stringify(clientLines(holder)[0])}`,
      `getattr=${getattr.ok ? "answered" : "NOT answered"}${getattr.ms > 5000 ? " (slow)" : ""}`,
      `serialno=${serialno.ok ? "answered" : "NOT answered"}${serialno.ms > 5000 ? " (slow)" : ""}`,
      await signing,
      WAIT_KNOB === undefined ? "no wait setting" : `setting ${WAIT_KNOB}`,
    ];
    if (
      f.column === "scd-ts" &&
      !(getattr.ok && serialno.ok && Math.max(getattr.ms, serialno.ms) < 5000)
    ) {
      throw new Error(`questions not answered while the card was held: ${notes.join("; ")}`);
    }
    const bounded = /^blocked=failed after (\d+) s/.exec(notes[3]!);
    if (
      f.column === "scd-ts" && WAIT_KNOB !== undefined && !(bounded && Number(bounded[1]) <= 15)
    ) {
      throw new Error(`${WAIT_KNOB} 5 did not end the wait with an error: ${notes[3]}`);
    }
    return { prompts: 0, notes };
  } finally {
    await holder.stop();
  }
}, {
  rounds: HOLD_ROUNDS,
  ...(WAIT_KNOB === undefined ? {} : {
    setup: async ({ c, keys }) => {
      await Deno.writeTextFile(`${c.home.path}/scd-ts.conf`, `${WAIT_KNOB} 5\n`, { append: true });
      await c.restartAgent();
      // the new daemon knows the card and has the PIN before the fault, as a running one would
      await c.pins([{ pin: USER_PIN }]);
      const r = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "warm\n" });
      if (r.code !== 0) throw new Error(`Cannot warm up after the restart: ${r.stderr}`);
    },
  }),
});

/** Another client's exclusive connect, retried for up to 5 s: "exclusive=<rv> in <ms>". */
async function exclusiveNote(c: CardContext): Promise<string> {
  const r = await client(c, "exclusive", "5000");
  if (DAEMON === "scd-ts" && r.rv !== "SCARD_S_SUCCESS") {
    throw new Error(`another client cannot get the card exclusively: ${JSON.stringify(r)}`);
  }
  const within = Math.ceil(Number(r.ms) / 500) / 2; // half seconds, so rounds add up
  return `exclusive=${String(r.rv ?? r.error)} within ${within} s`;
}

/** Kills this home's processes named `comm` (gpg, gpg-agent); returns how many. */
function kill(c: CardContext, comm: string): string {
  const pids = homePids(c, comm);
  for (const pid of pids) killQuietly(pid, "SIGKILL");
  return `killed ${comm} x${pids.length}`;
}

faultTest("F8a", "gpg-agent is killed while a signature waits on the card", async (f) => {
  const hit = await duringSignature(f.c, f.keys, () => Promise.resolve(kill(f.c, "gpg-agent")));
  return { prompts: 1, notes: [hit.note, hit.actNote, await exclusiveNote(f.c)] };
});

faultTest("F8b", "gpg is killed while its signature waits on the card", async (f) => {
  const hit = await duringSignature(f.c, f.keys, () => Promise.resolve(kill(f.c, "gpg")));
  return { prompts: 0, notes: [hit.actNote, await exclusiveNote(f.c)] };
});

/** Makes the pinentry take 60 s to start (a person away); returns the undo. */
async function slowPinentry(c: CardContext): Promise<() => Promise<void>> {
  const program = c.home.pinentry.program;
  const original = await Deno.readTextFile(program);
  const marker = `${c.home.path}/pinentry.slow`;
  await Deno.remove(marker).catch(() => {});
  const slow = original.replace("#!/bin/sh\n", `#!/bin/sh\necho $$ >'${marker}'\nsleep 60\n`);
  if (slow === original) throw new Error(`Cannot slow down ${program}: unexpected wrapper`);
  await Deno.writeTextFile(program, slow);
  return async () => {
    await Deno.writeTextFile(program, original);
    for (const pid of [...homePids(c, "sleep"), ...homePids(c, "pinentry")]) killQuietly(pid);
  };
}

async function waitForFile(path: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await Deno.stat(path).then(() => true, () => false))) {
    if (Date.now() > deadline) throw new Error(`Cannot see ${path}: the PIN was never asked`);
    await delay(50);
  }
}

/** A signature that needs the person, interrupted by killing `comm` while the pinentry waits. */
async function killDuringPinInquiry(c: CardContext, keys: CardKeys, comm: string) {
  await c.restartAgent(); // nothing cached: the signature asks
  const undo = await slowPinentry(c);
  try {
    const signing = c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "x\n" });
    await waitForFile(`${c.home.path}/pinentry.slow`);
    const during = await exclusiveNote(c); // no transaction while a person is asked
    const killed = kill(c, comm);
    const r = await signing;
    return [`during-inquiry ${during}`, killed, `signature exit ${r.code}`];
  } finally {
    await undo();
  }
}

faultTest("F8c", "gpg-agent is killed while it asks for the PIN", async (f) => {
  const notes = await killDuringPinInquiry(f.c, f.keys, "gpg-agent");
  return { prompts: 1, notes: [...notes, await exclusiveNote(f.c)] };
});

faultTest("F8d", "gpg is killed while gpg-agent asks for the PIN", async (f) => {
  const notes = await killDuringPinInquiry(f.c, f.keys, "gpg");
  return { prompts: 1, notes: [...notes, await exclusiveNote(f.c)] };
}, { rounds: REPEAT });

/**
 * Fault matrix F5 (docs/reliability.md): pcscd goes away under the daemon. Runs on a pcscd of
 * this suite's own (`_private_pcscd.ts`), host gnupg 2.2 only.
 * - F5a: pcscd is stopped and started again between two operations; the card comes back
 *   powered down but the same: scd-ts opens it again, finds the same AID, ATR and key
 *   fingerprints and keeps its PIN cache (no prompt next), whatever the reader monitor saw
 *   first — the restart or the signature (docs/reliability.md, the F5a rule).
 * - F5c: the same restart, but another card (card A's state, another serial) is in the reader
 *   when pcscd comes back: its PIN cache is not card A's; a signature asked of it gets a
 *   VERIFY only after the person was asked; then card A again (asked once: a new insertion).
 * - F5b: pcscd runs with `--auto-exit` (pcsc-lite ends an idle pcscd after 60 s without
 *   clients; systemd's socket starts it on demand, which the test does by hand). scd-ts runs
 *   with `monitor-idle 5s`: its reader monitor lets go of its PC/SC context after 5 s without
 *   a command, so pcscd must exit (about 65 s after the last command); the next signature
 *   must then work without a prompt (same card, cache kept: the F5a rule). Stock keeps a
 *   handle, so for it whether pcscd exited is only recorded.
 */
import { startVcard, type Vcard } from "../../bed/vcard.ts";
import { GNUPG, USER_PIN } from "../_fixture.ts";
import { verifies, withPin } from "./_inflight.ts";
import {
  client,
  CLIENT_ENV,
  CLIENT_READER,
  type Column,
  delay,
  type FaultContext,
  getpins,
  type RoundPlan,
  runColumns,
  runRounds,
} from "./_faults.ts";
import {
  cleanup,
  openBed,
  portsFree,
  PRIVATE_PORT,
  PRIVATE_READER,
  privateContext,
  privateHome,
  PrivatePcscd,
  SOCKET,
} from "./_private_pcscd.ts";

const AUTO_EXIT_WAIT_MS = Number(Deno.env.get("SCD_FAULT_AUTO_EXIT_WAIT_MS") ?? 75000);
let serialCounter = 0x5cf50000;

async function seesCard(c: FaultContext["c"]): Promise<void> {
  const want = `S SERIALNO D276000124010304FFFE${c.serial}0000`;
  for (let i = 0; i < 40; i++) {
    const r = await c.run("gpg-connect-agent", ["SCD SERIALNO", "/bye"]);
    if (r.stdout.split("\n").includes(want)) return;
    await delay(300);
  }
  throw new Error(`Cannot see card ${c.serial} through the daemon on the private pcscd`);
}

/** How an F5 test runs. */
interface PcscdTestOptions {
  autoExit?: boolean;
  rounds?: number;
  columns?: Column[];
  /** Settings for scd-ts's wrapper. */
  scdTsEnv?: Record<string, string>;
}

/** Registers one F5 test per column; `fault` gets the pcscd to act on. */
function pcscdTest(
  id: string,
  title: string,
  fault: (f: FaultContext, pcscd: PrivatePcscd) => Promise<RoundPlan>,
  options: PcscdTestOptions = {},
): void {
  for (const column of runColumns(options.columns)) {
    Deno.test({
      name: `${id} ${column}: ${title}`,
      ignore: GNUPG !== "2.2",
      sanitizeOps: false,
      sanitizeResources: false,
      fn: () => runOnPrivatePcscd(id, column, fault, options),
    });
  }
}

async function runOnPrivatePcscd(
  id: string,
  column: Column,
  fault: (f: FaultContext, pcscd: PrivatePcscd) => Promise<RoundPlan>,
  options: PcscdTestOptions,
): Promise<void> {
  if (!portsFree()) throw new Error("Cannot run F5: the private pcscd's vpcd ports are in use");
  const bed = await openBed();
  const pcscd = new PrivatePcscd();
  try {
    await pcscd.start({ autoExit: options.autoExit ?? false });
    CLIENT_ENV.PCSCLITE_CSOCK_NAME = SOCKET;
    CLIENT_READER.name = PRIVATE_READER;
    const serial = (++serialCounter).toString(16).toUpperCase();
    const { home, card } = await privateHome(
      bed,
      column === "stock-pcsc-shared",
      serial,
      options.scdTsEnv,
    );
    // a fault may plug another card process in (F5c): end whichever is in the context last
    const c = privateContext(bed, home, card, serial);
    try {
      await client(c, "present", "15000");
      await seesCard(c);
      await runRounds(id, c, column, (f) => fault(f, pcscd), {
        ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
      });
    } finally {
      await home.close();
      await c.card.stop();
      if (c.card !== card) await card.stop();
    }
  } finally {
    delete CLIENT_ENV.PCSCLITE_CSOCK_NAME;
    delete CLIENT_READER.name;
    await pcscd.stop();
    await bed.close();
    await cleanup();
  }
}

pcscdTest("F5a", "pcscd is restarted between two operations", async (f, pcscd) => {
  await pcscd.stop();
  await delay(500);
  await pcscd.start();
  const r = await client(f.c, "present", "15000");
  return { prompts: 0, notes: [r.error === undefined ? "pcscd restarted" : String(r.error)] };
});

pcscdTest("F5c", "pcscd is restarted with another card in the reader", async (f, pcscd) => {
  const { c } = f;
  const bSerial = `5CC${String(f.round).padStart(5, "0")}`;
  const bState = `${c.home.path}/card-f5c.json`;
  await Deno.copyFile(c.card.statePath, bState);
  await pcscd.stop();
  await c.card.stop();
  const notes: string[] = [];
  let b: Vcard | undefined;
  try {
    await pcscd.start(); // the card program needs vpcd to connect to; it plugs in at once
    b = await startVcard({ port: PRIVATE_PORT, statePath: bState, serial: bSerial });
    await client(c, "present", "15000");
    notes.push(...await signOnOtherCard(c, b));
  } finally {
    await b?.stop();
    await client(c, "absent", "10000");
    (c as { card: Vcard }).card = await startVcard({
      port: PRIVATE_PORT,
      statePath: c.card.statePath,
      serial: c.serial,
    });
  }
  await seesCard(c);
  // gpg-agent learned card B's serial for the keys (same keys); let it learn A again
  await c.run("gpg-connect-agent", ["LEARN --force", "/bye"]);
  return { prompts: 1, notes };
}, { columns: ["scd-ts"] });

/** A signature asked of card B through the agent: B may see a PIN only after a prompt. */
async function signOnOtherCard(c: FaultContext["c"], b: Vcard): Promise<string[]> {
  await c.pins([{ pin: USER_PIN }]);
  const r = await c.run("gpg-connect-agent", [
    "SCD SERIALNO",
    `SCD SETDATA ${"A5".repeat(32)}`,
    "SCD PKSIGN --hash=sha256 OPENPGP.1",
    "/bye",
  ]);
  const signed = /^D /m.test(r.stdout) && !/^ERR /m.test(r.stdout);
  const prompts = await getpins(c);
  const pinVerifies = withPin(await verifies(b)).length;
  if (!signed || prompts !== 1 || pinVerifies !== 1) {
    throw new Error(
      `card B after the restart: signed=${signed} prompts=${prompts} VERIFY with PIN=${pinVerifies}` +
        ` (want true, 1, 1: card A's cached PIN must not serve card B)\n${r.stdout}`,
    );
  }
  return [`B:prompts=${prompts},verify=${pinVerifies}`];
}

pcscdTest("F5b", "pcscd with --auto-exit while the daemon sits idle", async (f, pcscd) => {
  const started = Date.now();
  while (pcscd.running && Date.now() - started < AUTO_EXIT_WAIT_MS) await delay(500);
  if (pcscd.running) {
    const s = Math.round(AUTO_EXIT_WAIT_MS / 1000);
    if (f.column === "scd-ts") {
      throw new Error(`pcscd still running after ${s} s although scd-ts has monitor-idle 5s`);
    }
    return { prompts: 0, notes: [`pcscd still running after ${s} s (a client keeps a context)`] };
  }
  const exitedAfter = Math.round((Date.now() - started) / 1000);
  await pcscd.start({ autoExit: true }); // what systemd's pcscd.socket does on demand
  const r = await client(f.c, "present", "15000");
  const notes = [
    `pcscd exited by itself after ~${exitedAfter} s`,
    r.error === undefined ? "restarted on demand" : String(r.error),
  ];
  // scd-ts: the same card after the restart keeps its cached PIN (the F5a rule)
  return { prompts: 0, notes };
}, { autoExit: true, rounds: 1, scdTsEnv: { SCD_TS_MONITOR_IDLE: "5s" } });

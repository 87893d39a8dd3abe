/**
 * Fault matrix F5 (docs/reliability.md): pcscd goes away under the daemon. Runs on a pcscd of
 * this suite's own (`_private_pcscd.ts`), host gnupg 2.2 only.
 * - F5a: pcscd is stopped and started again between two operations; scd-ts's reader monitor
 *   sees the service go and come back, drops the card's state (one PIN prompt next), and the
 *   next signature works with no restart of anything else.
 * - F5b: pcscd runs with `--auto-exit` (pcsc-lite ends an idle pcscd after 60 s without
 *   clients; systemd's socket starts it on demand, which the test does by hand): whether it
 *   exits while the daemon sits idle is recorded (a client that keeps a PC/SC context, like
 *   scd-ts's monitor, keeps it alive), then the next signature must work.
 */
import { GNUPG } from "../_fixture.ts";
import {
  client,
  CLIENT_ENV,
  CLIENT_READER,
  type Column,
  delay,
  type FaultContext,
  type RoundPlan,
  runColumns,
  runRounds,
} from "./_faults.ts";
import {
  cleanup,
  openBed,
  portsFree,
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

/** Registers one F5 test per column; `fault` gets the pcscd to act on. */
function pcscdTest(
  id: string,
  title: string,
  fault: (f: FaultContext, pcscd: PrivatePcscd) => Promise<RoundPlan>,
  options: { autoExit?: boolean; rounds?: number } = {},
): void {
  for (const column of runColumns(undefined)) {
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
  options: { autoExit?: boolean; rounds?: number },
): Promise<void> {
  if (!portsFree()) throw new Error("Cannot run F5: the private pcscd's vpcd ports are in use");
  const bed = await openBed();
  const pcscd = new PrivatePcscd();
  try {
    await pcscd.start({ autoExit: options.autoExit ?? false });
    CLIENT_ENV.PCSCLITE_CSOCK_NAME = SOCKET;
    CLIENT_READER.name = PRIVATE_READER;
    const serial = (++serialCounter).toString(16).toUpperCase();
    const { home, card } = await privateHome(bed, column === "stock-pcsc-shared", serial);
    try {
      const c = privateContext(bed, home, card, serial);
      await client(c, "present", "15000");
      await seesCard(c);
      await runRounds(id, c, column, (f) => fault(f, pcscd), {
        ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
      });
    } finally {
      await home.close();
      await card.stop();
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
  return { prompts: 1, notes: [r.error === undefined ? "pcscd restarted" : String(r.error)] };
});

pcscdTest("F5b", "pcscd with --auto-exit while the daemon sits idle", async (f, pcscd) => {
  const started = Date.now();
  while (pcscd.running && Date.now() - started < AUTO_EXIT_WAIT_MS) await delay(500);
  if (pcscd.running) {
    const s = Math.round(AUTO_EXIT_WAIT_MS / 1000);
    return { prompts: 0, notes: [`pcscd still running after ${s} s (a client keeps a context)`] };
  }
  const exitedAfter = Math.round((Date.now() - started) / 1000);
  await pcscd.start({ autoExit: true }); // what systemd's pcscd.socket does on demand
  const r = await client(f.c, "present", "15000");
  const notes = [
    `pcscd exited by itself after ~${exitedAfter} s`,
    r.error === undefined ? "restarted on demand" : String(r.error),
  ];
  return { prompts: 1, notes };
}, { autoExit: true, rounds: 1 });

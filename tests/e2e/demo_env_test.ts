/**
 * `scd-ts demo` with a user's settings exported (issue 17 H1): SCD_TS_READER names a real
 * reader of the machine's pcscd holding a card (the bed's virtual card in a vpcd slot taken
 * through the slot lock), SCD_TS_LOG and SCD_TS_TRACE name files. The demo must still pass on
 * its own built-in card, the reader's card must get no APDU, and the files no line: the
 * demo's gpg, gpg-agent and scd-ts run on the demo's settings only. Runs once in the matrix
 * (gnupg 2.2, SCD_E2E_DAEMON=scd-ts): the demo uses the host's gpg whatever the cell.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { GnupgBed, HOMES_BASE } from "../bed/gnupg.ts";
import { acquireSlot } from "../bed/slot_lock.ts";
import { REPO_ROOT, startVcard } from "../bed/vcard.ts";
import { DAEMON, GNUPG } from "./_fixture.ts";

const MAIN = Deno.env.get("SCD_E2E_SCD_TS_MAIN") ?? `${REPO_ROOT}/main.ts`;

async function lines(path: string): Promise<number> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "").length;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

Deno.test({
  name: "demo ignores the user's SCD_TS_READER/LOG/TRACE: the real reader's card gets no APDU",
  ignore: DAEMON !== "scd-ts" || GNUPG !== "2.2",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const bed = await GnupgBed.open("2.2");
    const dir = await Deno.makeTempDir({ dir: HOMES_BASE, prefix: "demo-env-" });
    let lock: { releaseSync(): void; slot: 0 | 1 } | undefined;
    let card: Awaited<ReturnType<typeof startVcard>> | undefined;
    try {
      lock = await acquireSlot({
        dir: HOMES_BASE,
        pcscd: "host",
        slots: [0, 1],
        onWait: (holders) => console.error(`demo_env: waiting for a vpcd slot (${holders})`),
      });
      card = await startVcard({
        port: bed.vpcdPort(lock.slot),
        statePath: `${dir}/card-state.json`,
        serial: "DE110001",
      });
      // pcscd takes about a second to notice a vpcd card; the reader must hold it
      await new Promise((r) => setTimeout(r, 1500));
      await card.control({ cmd: "log-reset" });
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, "demo"],
        env: {
          NO_COLOR: "1",
          SCD_TS_READER: `Virtual PCD 00 0${lock.slot}`,
          SCD_TS_LOG: `${dir}/user.log`,
          SCD_TS_LOG_LEVEL: "debug",
          SCD_TS_TRACE: `${dir}/user.trace`,
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      const log = await card.apduLog();
      assertEquals(log.total, 0, `the reader's card got APDUs ${JSON.stringify(log.byIns)}`);
      assertEquals(await lines(`${dir}/user.log`), 0, "lines in the user's SCD_TS_LOG");
      assertEquals(await lines(`${dir}/user.trace`), 0, "lines in the user's SCD_TS_TRACE");
      assertEquals(out.code, 0, text);
      assertEquals(text.includes("demo: every step passed"), true, text);
    } finally {
      await card?.stop();
      lock?.releaseSync();
      bed.closeSync();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/**
 * The reader-layer test bed: a pcscd of our own plus one virtual OpenPGP card.
 *
 * By default the pcscd is private: `pcscd --foreground` in its own mount namespace (unshare +
 * a bind mount over /run/pcscd, which pcscd 1.9.9 cannot be told to avoid), with vsmartcard's
 * vpcd on ports 35967/35968, and this process pointed at its socket through
 * `PCSCLITE_CSOCK_NAME` (read by libpcsclite's client side). So these tests neither disturb nor
 * get disturbed by other suites (stock scdaemon grabs cards exclusively), and they may stop and
 * restart pcscd because they started it. When that is impossible (no unshare/mount rights) or
 * `SCD_TS_PCSC_TEST_SHARED=1`, the machine's pcscd is used via `ensurePcscd()` on slot 35964.
 *
 * @module
 */

import { ensurePcscd, type PcscdHandle } from "../bed/pcscd.ts";
import { startVcard, type Vcard } from "../bed/vcard.ts";
import { PrivatePcscd, privatePcscdSocket } from "../bed/private_pcscd.ts";
import { PcscContext } from "../../src/pcsc/mod.ts";

/** The first reader of vpcd (whichever pcscd). */
export const READER_0 = "Virtual PCD 00 00";
/** The second reader of vpcd. */
export const READER_1 = "Virtual PCD 00 01";
/** First vpcd port of the private pcscd (0x8C7F). */
export const PRIVATE_PORT = Number(Deno.env.get("SCD_TS_PCSC_TEST_PORT") ?? 35967);

/** A running bed. */
export interface PcscBed {
  /** True when this bed runs its own pcscd (then pcscd may be stopped and restarted). */
  readonly ownsPcscd: boolean;
  /** The reader the card sits in. */
  readonly reader: string;
  /** The card process (control port: remove/insert/…). */
  readonly card: Vcard;
  /** Environment for child processes so they reach the same pcscd (e.g. opensc-tool). */
  readonly childEnv: Record<string, string>;
  /** Stops pcscd (only when owned). */
  stopPcscd(): Promise<void>;
  /** Starts it again (only when owned). */
  startPcscd(): Promise<void>;
  /** Stops the card and the pcscd this bed started. */
  stop(): Promise<void>;
}

const DIR = `/tmp/scd-ts-pcsc-test-${Deno.pid}`;
const SOCKET = privatePcscdSocket(DIR);

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** This bed's pcscd; --auto-exit ends an orphan of a killed run after 60 s without clients. */
function privatePcscd(): PrivatePcscd {
  const logFile = Deno.env.get("SCD_TS_PCSC_TEST_LOG");
  return new PrivatePcscd({
    dir: DIR,
    vpcdPort: PRIVATE_PORT,
    autoExit: true,
    requireFreePorts: true,
    ...(logFile === undefined ? {} : { logFile }),
  });
}

/** Waits until pcscd lists the reader (its drivers load after the socket is up). */
export async function waitForReader(reader: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      await using ctx = await PcscContext.establish();
      if ((await ctx.listReaders()).includes(reader)) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) {
      throw new Error(`Cannot find reader "${reader}" within ${timeoutMs} ms`);
    }
    await delay(100);
  }
}

async function startOwned(pcscd: PrivatePcscd): Promise<PcscBed> {
  // libpcsclite reads this on its first connection; nothing in this process used PC/SC before.
  Deno.env.set("PCSCLITE_CSOCK_NAME", SOCKET);
  let card: Vcard;
  try {
    await waitForReader(READER_0);
    card = await startVcard({ port: PRIVATE_PORT, statePath: `${DIR}/card-state.json` });
  } catch (e) {
    await pcscd.stop();
    throw e;
  }
  return {
    ownsPcscd: true,
    reader: READER_0,
    card,
    childEnv: { PCSCLITE_CSOCK_NAME: SOCKET },
    stopPcscd: () => pcscd.stop(),
    startPcscd: async () => {
      await pcscd.start();
      await waitForReader(READER_0);
    },
    async stop() {
      await card.stop();
      await pcscd.stop();
      // Child processes of later test files must reach the machine's pcscd again. (This
      // process's libpcsclite keeps the private socket name: it caches it on first use.)
      Deno.env.delete("PCSCLITE_CSOCK_NAME");
      await Deno.remove(DIR, { recursive: true }).catch(() => {});
    },
  };
}

async function startShared(): Promise<PcscBed> {
  const pcscd: PcscdHandle = await ensurePcscd();
  const card = await startVcard({ port: 35964, statePath: `${DIR}/card-state.json` });
  const refuse = () => Promise.reject(new Error("Cannot stop a pcscd these tests did not start"));
  return {
    ownsPcscd: false,
    reader: READER_1,
    card,
    childEnv: {},
    stopPcscd: refuse,
    startPcscd: refuse,
    async stop() {
      await card.stop();
      await pcscd.stop();
      await Deno.remove(DIR, { recursive: true }).catch(() => {});
    },
  };
}

/** Starts the bed (private pcscd unless impossible or `SCD_TS_PCSC_TEST_SHARED=1`). */
export async function startBed(): Promise<PcscBed> {
  if (Deno.env.get("SCD_TS_PCSC_TEST_SHARED") === "1") return await startShared();
  const pcscd = privatePcscd();
  try {
    await pcscd.start();
  } catch (e) {
    console.error(`pcsc tests: ${e instanceof Error ? e.message : e}; using the machine's pcscd`);
    return await startShared();
  }
  // From here on this process talks to the private pcscd (libpcsclite caches the socket name
  // on first use), so later failures are errors, not a reason to fall back.
  return await startOwned(pcscd);
}

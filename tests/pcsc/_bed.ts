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
const SOCKET = `${DIR}/run/pcscd.comm`;

async function socketAnswers(path: string): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

class PrivatePcscd {
  #child: Deno.ChildProcess | undefined;

  async start(): Promise<void> {
    await Deno.mkdir(`${DIR}/run`, { recursive: true });
    await Deno.mkdir(`${DIR}/reader.conf.d`, { recursive: true });
    await Deno.mkdir("/run/pcscd", { recursive: true });
    const hex = PRIVATE_PORT.toString(16).toUpperCase();
    await Deno.writeTextFile(
      `${DIR}/reader.conf.d/vpcd`,
      `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${hex}\n` +
        `LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x${hex}\n`,
    );
    await Deno.remove(SOCKET).catch(() => {});
    const log = Deno.env.get("SCD_TS_PCSC_TEST_LOG");
    for (const port of [PRIVATE_PORT, PRIVATE_PORT + 1]) {
      try {
        Deno.listen({ hostname: "0.0.0.0", port }).close();
      } catch {
        throw new Error(`Cannot start private pcscd: vpcd port ${port} is in use`);
      }
    }
    // --auto-exit: a pcscd orphaned by a killed test run ends itself after 60 s without clients.
    const base = "--foreground --auto-exit";
    const flags = log === undefined ? base : `${base} --debug --apdu`;
    const redirect = log === undefined ? ">/dev/null 2>&1" : `>>'${log}' 2>&1`;
    // unshare execs sh, which execs pcscd: the spawned PID is pcscd's, ours to kill.
    this.#child = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        `mount --bind "$1" /run/pcscd && exec pcscd ${flags} -c "$2" ${redirect}`,
        "sh",
        `${DIR}/run`,
        `${DIR}/reader.conf.d`,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const child = this.#child;
    const deadline = Date.now() + 10000;
    while (!(await socketAnswers(SOCKET))) {
      const exited = await Promise.race([child.status, delay(100).then(() => undefined)]);
      if (exited !== undefined) {
        this.#child = undefined;
        throw new Error(`Cannot start private pcscd: exited with code ${exited.code}`);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error("Cannot start private pcscd: no socket within 10 s");
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const done = await Promise.race([child.status, delay(5000).then(() => undefined)]);
    if (done === undefined) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    }
  }
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
  const pcscd = new PrivatePcscd();
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

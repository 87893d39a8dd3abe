/**
 * A pcscd of the fault suite's own, for F5 (restart, `--auto-exit`): tests/bed/private_pcscd.ts
 * with vpcd readers on ports 35971/35972 (SCD_FAULT_PCSCD_PORT). The daemon under test gets that variable from a wrapper
 * (stock) or the scd-ts wrapper's environment. Host gnupg (2.2) only.
 *
 * @module
 */
import { type GnupgBed, GnupgBed as Bed } from "../../bed/gnupg.ts";
import { GnupgHome } from "../../bed/gnupghome.ts";
import {
  PrivatePcscd as BedPrivatePcscd,
  privatePcscdSocket,
  vpcdPortsFree,
} from "../../bed/private_pcscd.ts";
import { startVcard, type Vcard } from "../../bed/vcard.ts";
import { aidOf, type CardContext, DAEMON, makeContext } from "../_fixture.ts";
import { DEFAULT_PROFILE, profileByName } from "../../../src/virtual/profiles/mod.ts";

/** First vpcd port of the private pcscd. */
export const PRIVATE_PORT = Number(Deno.env.get("SCD_FAULT_PCSCD_PORT") ?? 35971);
/** Its first reader. */
export const PRIVATE_READER = "Virtual PCD 00 00";

const DIR = `/tmp/scd-ts-faults-pcscd-${Deno.pid}`;
/** The private pcscd's socket. */
export const SOCKET = privatePcscdSocket(DIR);

/** The fault suite's private pcscd (`start({ autoExit })` and `stop()` may repeat). */
export class PrivatePcscd extends BedPrivatePcscd {
  constructor() {
    super({ dir: DIR, vpcdPort: PRIVATE_PORT });
  }
}

/** Makes sure vpcd's ports of the private pcscd are free (another run of this suite?). */
export function portsFree(): boolean {
  return vpcdPortsFree(PRIVATE_PORT);
}

/**
 * A GNUPGHOME whose daemon talks to the private pcscd, with a card in its first reader;
 * `scdTsEnv` adds settings to scd-ts's wrapper.
 */
export async function privateHome(
  bed: GnupgBed,
  pcscShared: boolean,
  serial: string,
  scdTsEnv: Record<string, string> = {},
): Promise<{ home: GnupgHome; card: Vcard }> {
  const env = { ...scdTsEnv, PCSCLITE_CSOCK_NAME: SOCKET };
  const home = await GnupgHome.create(bed, {
    daemon: DAEMON,
    readerPort: PRIVATE_READER,
    pcscShared,
    scdTsEnv: env,
  });
  if (DAEMON === "stock") {
    const wrapper = `${home.path}/scdaemon-private`;
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\nexport PCSCLITE_CSOCK_NAME='${SOCKET}'\nexec /usr/lib/gnupg/scdaemon "$@"\n`,
      { mode: 0o755 },
    );
    const conf = `${home.path}/gpg-agent.conf`;
    const text = await Deno.readTextFile(conf);
    await Deno.writeTextFile(
      conf,
      text.replace(/^scdaemon-program .*$/m, `scdaemon-program ${wrapper}`),
    );
  }
  const card = await startVcard({
    port: PRIVATE_PORT,
    statePath: `${home.path}/card-state.json`,
    serial,
  });
  return { home, card };
}

/** Opens the host bed (2.2). */
export function openBed(): Promise<GnupgBed> {
  return Bed.open("2.2");
}

/** A {@linkcode CardContext} like the fixture's, for a private home. */
export function privateContext(
  bed: GnupgBed,
  home: GnupgHome,
  card: Vcard,
  serial: string,
): CardContext {
  // its card has the default profile; the fault matrix is not part of the conformance set
  return makeContext(bed, home, card, serial, {
    aid: aidOf(profileByName(DEFAULT_PROFILE), serial),
  });
}

/** Removes the private pcscd's directory. */
export async function cleanup(): Promise<void> {
  await Deno.remove(DIR, { recursive: true }).catch(() => {});
}

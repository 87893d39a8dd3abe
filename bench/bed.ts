/**
 * The bench's use of the test bed (tests/bed/): one gnupg bed per gnupg version with BOTH of
 * its pcscd's vpcd slots (taken through the slot lock as tests/e2e/_two_cards.ts does: slot
 * 0, then slot 1 on the host; the whole chroot pcscd for 2.4), so that the second reader is
 * empty when the bench wants it empty. A template is made once per version (keys generated on
 * the virtual card by gpg, a file encrypted to it, the ssh public key), and per measured group
 * a fresh GNUPGHOME plus a card started from a copy of the template's state file, so every
 * daemon starts from the same card.
 * @module
 */

import { GnupgBed, HOMES_BASE } from "../tests/bed/gnupg.ts";
import { type DaemonKind, GnupgHome, readerPortOption } from "../tests/bed/gnupghome.ts";
import { gpgInteract } from "../tests/bed/gpg_interact.ts";
import { acquireSlot, type SlotLock } from "../tests/bed/slot_lock.ts";
import { startVcard, type Vcard } from "../tests/bed/vcard.ts";
import { ADMIN_PIN, USER_PIN } from "../tests/support/fixtures.ts";
import type { BenchConfig, GnupgVersion } from "./report.ts";

export { USER_PIN };

/** A gnupg bed with both of its slots. */
export interface BenchBed {
  bed: GnupgBed;
  locks: SlotLock[];
  /** The first reader ("Virtual PCD 00 00"): the card's, except in `two-cards`. */
  reader: string;
  port: number;
  /** The second reader: empty, except in `two-cards` where the card with the keys sits. */
  secondReader: string;
  secondPort: number;
}

/** What every group starts from. */
export interface Template {
  dir: string;
  serial: string;
  statePath: string;
  primary: string;
  encryptedFile: string;
  sshPub: string;
}

/**
 * Open the bed for `version` and take both slots of its pcscd: slot 0 then slot 1 on the
 * host (always in that order, so two runs cannot deadlock), the whole pcscd in the chroot.
 */
export async function openBed(version: GnupgVersion, log: (s: string) => void): Promise<BenchBed> {
  const bed = await GnupgBed.open(version);
  const locks: SlotLock[] = [];
  try {
    const pcscd = bed.chroot === undefined ? "host" : "chroot";
    const onWait = (holders: string) => log(`waiting for the vpcd slots (${holders})`);
    if (version === "2.4") {
      locks.push(
        await acquireSlot({ dir: HOMES_BASE, pcscd, slots: [0], wholePcscd: true, onWait }),
      );
    } else {
      locks.push(await acquireSlot({ dir: HOMES_BASE, pcscd, slots: [0], onWait }));
      locks.push(await acquireSlot({ dir: HOMES_BASE, pcscd, slots: [1], onWait }));
    }
    return {
      bed,
      locks,
      reader: "Virtual PCD 00 00",
      port: bed.vpcdPort(0),
      secondReader: "Virtual PCD 00 01",
      secondPort: bed.vpcdPort(1),
    };
  } catch (e) {
    for (const lock of locks) lock.releaseSync();
    await bed.close();
    throw e;
  }
}

/** Release the slots and the bed. */
export async function closeBed(b: BenchBed): Promise<void> {
  for (const lock of b.locks) lock.releaseSync();
  await b.bed.close();
}

/** The reader the card with the keys sits in under `config`. */
export function keyReader(b: BenchBed, config: BenchConfig): { reader: string; port: number } {
  return config === "two-cards"
    ? { reader: b.secondReader, port: b.secondPort }
    : { reader: b.reader, port: b.port };
}

/**
 * Rewrite the home's configs without the e2e debug settings (debug-all, Assuan traces,
 * debug logs): a bench measures the daemons, not their loggers. `pinned` (a reader name)
 * gives stock its `reader-port` and scd-ts its `reader`; undefined pins nothing for either.
 */
async function tuneHome(
  b: BenchBed,
  home: GnupgHome,
  pcscShared: boolean,
  pinned: string | undefined,
): Promise<void> {
  const p = home.path;
  const agent = await Deno.readTextFile(`${p}/gpg-agent.conf`);
  await Deno.writeTextFile(
    `${p}/gpg-agent.conf`,
    agent.split("\n").filter((l) => !/^(debug|log-file)/.test(l)).join("\n"),
  );
  await Deno.writeTextFile(
    `${p}/scdaemon.conf`,
    [
      ...(pinned === undefined ? [] : [`reader-port ${readerPortOption(b.bed.version, pinned)}`]),
      "disable-ccid",
      ...(pcscShared ? ["pcsc-shared"] : []),
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${p}/scd-ts.conf`,
    `${pinned === undefined ? "" : `reader ${pinned}\n`}log-level error\n`,
  );
}

/**
 * A fresh home for `daemon` (stock always with pcsc-shared), tuned, keys copied from `from`;
 * pinned to `pinned` (a reader name) or to nothing.
 */
export async function benchHome(
  b: BenchBed,
  daemon: DaemonKind,
  options: { scdTsEnv?: Record<string, string>; from?: Template; pinned?: string },
): Promise<GnupgHome> {
  const pcscShared = daemon === "stock";
  const home = await GnupgHome.create(b.bed, {
    daemon,
    readerPort: options.pinned ?? b.reader,
    pcscShared,
    scdTsEnv: options.scdTsEnv ?? {},
  });
  await tuneHome(b, home, pcscShared, options.pinned);
  const from = options.from;
  if (from !== undefined) await copyKeys(from.dir, home.path);
  return home;
}

async function copyKeys(from: string, to: string): Promise<void> {
  for (const name of ["pubring.kbx", "trustdb.gpg"]) {
    await Deno.copyFile(`${from}/${name}`, `${to}/${name}`).catch(() => {});
  }
  await Deno.mkdir(`${to}/private-keys-v1.d`, { recursive: true, mode: 0o700 });
  for await (const e of Deno.readDir(`${from}/private-keys-v1.d`)) {
    if (e.isFile) {
      await Deno.copyFile(
        `${from}/private-keys-v1.d/${e.name}`,
        `${to}/private-keys-v1.d/${e.name}`,
      );
    }
  }
}

/**
 * Start a card on vpcd `port` from a copy of `statePath` (or a fresh one) with `latency`,
 * and wait until the home's daemon sees it (unless `wait` is false).
 */
export async function benchCard(
  b: BenchBed,
  home: GnupgHome,
  card: { serial: string; latency: string; port?: number; statePath?: string; wait?: boolean },
): Promise<Vcard> {
  const own = `${home.path}/card-state-${card.serial}.json`;
  if (card.statePath !== undefined) await Deno.copyFile(card.statePath, own);
  const vcard = await startVcard({
    port: card.port ?? b.port,
    statePath: own,
    serial: card.serial,
    args: ["--latency", card.latency],
  });
  if (card.wait === false) return vcard;
  try {
    await waitForCard(b, home, card.serial);
  } catch (e) {
    await vcard.stop();
    throw e;
  }
  return vcard;
}

/**
 * Wait until the daemon sees this serial (as tests/e2e/_fixture.ts does; `--demand` so that
 * a card in the second reader counts as well).
 */
async function waitForCard(b: BenchBed, home: GnupgHome, serial: string): Promise<void> {
  const deadline = Date.now() + 15000;
  const aid = `D276000124010304FFFE${serial}0000`;
  const want = `S SERIALNO ${aid}`;
  while (true) {
    await new Promise((r) => setTimeout(r, 300));
    const r = await b.bed.run("gpg-connect-agent", [`SCD SERIALNO --demand=${aid}`, "/bye"], {
      home: home.path,
    });
    if (r.stdout.split("\n").includes(want)) return;
    if (Date.now() > deadline) {
      throw new Error(`Cannot see card ${serial} through the daemon: ${r.stdout}${r.stderr}`);
    }
  }
}

/** Generate the three keys on the card with gpg --card-edit (RSA-2048, the card's default). */
async function generateKeys(b: BenchBed, home: GnupgHome): Promise<string> {
  await home.pinentry.script([ADMIN_PIN, USER_PIN, ADMIN_PIN, USER_PIN, USER_PIN].map((pin) => ({
    pin,
    when: pin === ADMIN_PIN ? "prompt=Admin PIN" : "prompt=PIN ",
  })));
  const r = await gpgInteract(b.bed, home.path, ["--card-edit"], {
    "cardedit.prompt": ["admin", "generate", "quit"],
    "cardedit.genkeys.backup_enc": "n",
    "cardedit.genkeys.replace_keys": "y",
    "keygen.valid": "0",
    "keygen.name": "Bench Tester",
    "keygen.email": "bench@example.org",
    "keygen.comment": "",
    "keygen.userid.cmd": "O",
  });
  const created = r.status.find((l) => l.startsWith("KEY_CREATED "));
  if (r.code !== 0 || created === undefined) {
    throw new Error(`Cannot generate keys on the card:\n${r.transcript.join("\n")}\n${r.stderr}`);
  }
  return created.split(" ")[2]!;
}

/** Keys on a fresh card, a file encrypted to it, the ssh key: what each group copies. */
export async function makeTemplate(b: BenchBed, serial: string): Promise<Template> {
  const home = await benchHome(b, "stock", { pinned: b.reader });
  const card = await benchCard(b, home, { serial, latency: "none" });
  try {
    const primary = await generateKeys(b, home);
    const dir = home.path;
    await Deno.writeTextFile(`${dir}/plain.txt`, "a small secret\n");
    const enc = await b.bed.gpg(dir, [
      ...["--trust-model", "always", "--recipient", primary, "--output", `${dir}/plain.txt.gpg`],
      ...["--encrypt", `${dir}/plain.txt`],
    ]);
    if (enc.code !== 0) throw new Error(`Cannot encrypt to the card key: ${enc.stderr}`);
    const ssh = await b.bed.gpg(dir, ["--export-ssh-key", primary]);
    if (ssh.code !== 0) throw new Error(`Cannot export the ssh key: ${ssh.stderr}`);
    await Deno.writeTextFile(`${dir}/auth.pub`, ssh.stdout);
    await home.killDaemons();
    return {
      dir,
      serial,
      statePath: `${dir}/card-state-${serial}.json`,
      primary,
      encryptedFile: `${dir}/plain.txt.gpg`,
      sshPub: `${dir}/auth.pub`,
    };
  } finally {
    await card.stop();
  }
}

/** Remove the template's home (its daemons are already gone). */
export async function dropTemplate(t: Template): Promise<void> {
  await Deno.remove(t.dir, { recursive: true }).catch(() => {});
}

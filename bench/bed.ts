/**
 * The bench's use of the test bed (tests/bed/): one gnupg bed and one vpcd slot per gnupg
 * version (taken through the slot lock exactly as the e2e fixture does), a template made
 * once per version (keys generated on the virtual card by gpg, a file encrypted to it, the
 * ssh public key), and per measured group a fresh GNUPGHOME plus a card started from a copy
 * of the template's state file, so every daemon starts from the same card.
 * @module
 */

import { GnupgBed, HOMES_BASE } from "../tests/bed/gnupg.ts";
import { type DaemonKind, GnupgHome, readerPortOption } from "../tests/bed/gnupghome.ts";
import { gpgInteract } from "../tests/bed/gpg_interact.ts";
import { acquireSlot, type SlotLock } from "../tests/bed/slot_lock.ts";
import { startVcard, type Vcard } from "../tests/bed/vcard.ts";
import type { GnupgVersion } from "./report.ts";

export const USER_PIN = "123456";
const ADMIN_PIN = "12345678";

/** A gnupg bed with its slot. */
export interface BenchBed {
  bed: GnupgBed;
  lock: SlotLock;
  reader: string;
  port: number;
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

/** Open the bed for `version` and take a slot (the whole pcscd for 2.4, like the e2e tests). */
export async function openBed(version: GnupgVersion, log: (s: string) => void): Promise<BenchBed> {
  const bed = await GnupgBed.open(version);
  try {
    const lock = await acquireSlot({
      dir: HOMES_BASE,
      pcscd: bed.chroot === undefined ? "host" : "chroot",
      slots: [0, 1],
      wholePcscd: version === "2.4",
      onWait: (holders) => log(`waiting for a vpcd slot (${holders})`),
    });
    return { bed, lock, reader: `Virtual PCD 00 0${lock.slot}`, port: bed.vpcdPort(lock.slot) };
  } catch (e) {
    await bed.close();
    throw e;
  }
}

/** Release the slot and the bed. */
export async function closeBed(b: BenchBed): Promise<void> {
  b.lock.releaseSync();
  await b.bed.close();
}

/**
 * Rewrite the home's configs without the e2e debug settings (debug-all, Assuan traces,
 * debug logs): a bench measures the daemons, not their loggers.
 */
async function tuneHome(b: BenchBed, home: GnupgHome, pcscShared: boolean): Promise<void> {
  const p = home.path;
  const agent = await Deno.readTextFile(`${p}/gpg-agent.conf`);
  await Deno.writeTextFile(
    `${p}/gpg-agent.conf`,
    agent.split("\n").filter((l) => !/^(debug|log-file)/.test(l)).join("\n"),
  );
  await Deno.writeTextFile(
    `${p}/scdaemon.conf`,
    [
      `reader-port ${readerPortOption(b.bed.version, b.reader)}`,
      "disable-ccid",
      ...(pcscShared ? ["pcsc-shared"] : []),
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(`${p}/scd-ts.conf`, `reader ${b.reader}\nlog-level error\n`);
}

/** A fresh home for `daemon` (stock always with pcsc-shared), tuned, keys copied from `from`. */
export async function benchHome(
  b: BenchBed,
  daemon: DaemonKind,
  scdTsEnv: Record<string, string>,
  from?: Template,
): Promise<GnupgHome> {
  const pcscShared = daemon === "stock";
  const home = await GnupgHome.create(b.bed, {
    daemon,
    readerPort: b.reader,
    pcscShared,
    scdTsEnv,
  });
  await tuneHome(b, home, pcscShared);
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

/** Start a card from a copy of `statePath` (or a fresh one) with `latency`, and wait for it. */
export async function benchCard(
  b: BenchBed,
  home: GnupgHome,
  serial: string,
  latency: string,
  statePath?: string,
): Promise<Vcard> {
  const own = `${home.path}/card-state.json`;
  if (statePath !== undefined) await Deno.copyFile(statePath, own);
  const card = await startVcard({
    port: b.port,
    statePath: own,
    serial,
    args: ["--latency", latency],
  });
  try {
    await waitForCard(b, home, serial);
  } catch (e) {
    await card.stop();
    throw e;
  }
  return card;
}

/** Wait until the daemon sees this serial (as tests/e2e/_fixture.ts does). */
async function waitForCard(b: BenchBed, home: GnupgHome, serial: string): Promise<void> {
  const deadline = Date.now() + 15000;
  const want = `S SERIALNO D276000124010304FFFE${serial}0000`;
  while (true) {
    await new Promise((r) => setTimeout(r, 300));
    const r = await b.bed.run("gpg-connect-agent", ["SCD SERIALNO", "/bye"], { home: home.path });
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
  const home = await benchHome(b, "stock", {});
  const card = await benchCard(b, home, serial, "none");
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
      statePath: `${dir}/card-state.json`,
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

/**
 * The backup-card workflow (issue 11, docs/multi-card.md): the same software keys moved with
 * keytocard to two cards (backup B first, then main A, so the key stubs name A); then with
 * only the backup present and with both present, `gpg --clearsign`, `gpg --decrypt` and ssh
 * auth through gpg-agent work as they do with stock 2.4.7 on the same cards (run with
 * SCD_E2E_DAEMON=stock and =scd-ts). Which card does the work is asserted from the cards'
 * own APDU counts. gnupg 2.2's agent asks for the card the stub names instead (recorded in
 * docs/multi-card.md), so this runs on 2.4.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { ADMIN_PIN, USER_PIN } from "./_fixture.ts";
import { GNUPG, type TwoCards, twoCardTest } from "./_two_cards.ts";
import { NO_PASSPHRASE, softwareKey } from "./_workflows.ts";

const admin = { pin: ADMIN_PIN, when: "prompt=Admin PIN" };
const user = { pin: USER_PIN, when: "prompt=PIN " };

/** RSA-2048 software keys (sign primary, encryption and auth subkeys) and their export. */
async function softwareKeys(t: TwoCards) {
  const rsa = "rsa2048";
  const k = await softwareKey(
    t,
    rsa,
    [[rsa, "encr"], [rsa, "auth"]],
    "Backup <backup@example.org>",
  );
  const secret = await t.gpg([...NO_PASSPHRASE, "--armor", "--export-secret-keys", k.primary]);
  assertEquals(secret.code, 0, secret.stderr);
  return { primary: k.primary, auth: k.fprs[2]!, grips: k.grips, secret: secret.stdout };
}

/** keytocard of all three keys onto the one card present. */
async function moveToCard(t: TwoCards, primary: string): Promise<void> {
  await t.pins([admin, admin, admin, admin, admin, admin]);
  const r = await t.interact(["--edit-key", primary], {
    "keyedit.prompt": ["keytocard", "key 1", "keytocard", "key 1", "key 2", "keytocard", "save"],
    "keyedit.keytocard.use_primary": "y",
    "cardedit.genkeys.storekeytype": ["1", "2", "3"],
    "cardedit.genkeys.replace_key": "y",
  });
  assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
  assertEquals(r.code, 0, r.stderr);
}

/** The serial gpg's stubs name (`sec`/`ssb` field 15) for each key. */
async function stubSerials(t: TwoCards, primary: string): Promise<string[]> {
  const list = await t.gpg(["--with-colons", "--list-secret-keys", primary]);
  return list.stdout.split("\n").filter((l) => /^(sec|ssb):/.test(l)).map((l) => l.split(":")[14]!);
}

/** PSO (INS 2A: sign, decipher) and INTERNAL AUTHENTICATE (88) counts per card, then reset. */
async function cardWork(t: TwoCards): Promise<string[]> {
  const out: string[] = [];
  for (const card of t.cards) {
    const log = await card.apduLog().catch(() => ({
      byIns: {} as Record<string, { count: number }>,
    }));
    out.push(`PSO ${log.byIns["2A"]?.count ?? 0} AUTH ${log.byIns["88"]?.count ?? 0}`);
    await card.control({ cmd: "log-reset" }).catch(() => {});
  }
  return out;
}

/** Clear-sign + verify, encrypt + decrypt, and an ssh signature through gpg-agent. */
async function useKeys(t: TwoCards, keys: { primary: string; auth: string }): Promise<void> {
  await t.restartAgent();
  await t.pins([user, user, user, user]);
  const signed = await t.gpg(["--local-user", keys.primary, "--clearsign"], {
    stdin: "signed by whichever card\n",
  });
  assertEquals(signed.code, 0, signed.stderr);
  const verified = await t.gpg(["--verify"], { stdin: signed.stdout });
  assertEquals(verified.code, 0, verified.stderr);
  assert(verified.status.some((l) => l.startsWith("GOODSIG ")), verified.stderr);

  const plain = await t.file("plain.txt", "for the backup card\n");
  await Deno.remove(`${plain}.gpg`).catch(() => {});
  const enc = await t.gpg(["--trust-model", "always", "-r", keys.primary, "--encrypt", plain]);
  assertEquals(enc.code, 0, enc.stderr);
  const dec = await t.gpg(["--decrypt", `${plain}.gpg`]);
  assertEquals(dec.code, 0, dec.stderr);
  assertEquals(dec.stdout, "for the backup card\n");

  const sock = (await t.run("gpgconf", ["--list-dirs", "agent-ssh-socket"])).stdout.trim();
  const env = { SSH_AUTH_SOCK: sock };
  const exported = await t.gpg(["--export-ssh-key", `${keys.auth}!`]);
  assertEquals(exported.code, 0, exported.stderr);
  const [type, blob] = exported.stdout.trim().split(" ");
  const listed = await t.bed.run("ssh-add", ["-L"], { home: t.home.path, env });
  assert(listed.stdout.split("\n").some((l) => l.split(" ")[1] === blob), listed.stdout);
  const pub = await t.file("auth.pub", `${type} ${blob} card\n`);
  const data = await t.file("message.txt", "ssh with the backup card\n");
  await Deno.remove(`${data}.sig`).catch(() => {});
  const sig = await t.bed.run("ssh-keygen", ["-Y", "sign", "-f", pub, "-n", "file", data], {
    home: t.home.path,
    env,
  });
  assertEquals(sig.code, 0, sig.stderr);
  const signers = await t.file("allowed", `backup@example.org ${type} ${blob}\n`);
  const ok = await t.bed.run("ssh-keygen", [
    "-Y",
    "verify",
    "-f",
    signers,
    "-I",
    "backup@example.org",
    "-n",
    "file",
    "-s",
    `${data}.sig`,
  ], { stdin: "ssh with the backup card\n" });
  assertMatch(ok.stdout + ok.stderr, /Good "file" signature/);
}

twoCardTest(
  "backup card: keys on two cards sign, decrypt and ssh-auth with either present",
  async (t) => {
    const keys = await softwareKeys(t);
    // the backup (B) first, with A out of its reader
    await t.plug(0, false);
    await moveToCard(t, keys.primary);
    assertEquals(await stubSerials(t, keys.primary), [t.aids[1], t.aids[1], t.aids[1]]);
    // then the main card (A), B out, from the same software keys imported again
    await t.plug(0, true);
    await t.plug(1, false);
    await t.restartAgent();
    for (const grip of keys.grips) {
      await Deno.remove(`${t.home.path}/private-keys-v1.d/${grip}.key`);
    }
    const imported = await t.gpg([...NO_PASSPHRASE, "--import"], { stdin: keys.secret });
    assertEquals(imported.code, 0, imported.stderr);
    await moveToCard(t, keys.primary);
    assertEquals(await stubSerials(t, keys.primary), [t.aids[0], t.aids[0], t.aids[0]]);

    // only the backup present: the stubs name A, the 2.4 agent finds the keys on B by keygrip
    await t.plug(0, false);
    await t.plug(1, true);
    await cardWork(t);
    await useKeys(t, keys);
    assertEquals(await cardWork(t), ["PSO 0 AUTH 0", "PSO 2 AUTH 1"]);

    // both present: a fresh daemon's scan finds B (reader 1) last, so B is tried first
    await t.plug(0, true);
    await cardWork(t);
    await useKeys(t, keys);
    assertEquals(await cardWork(t), ["PSO 0 AUTH 0", "PSO 2 AUTH 1"]);

    // PINs are per card: A's first signature asks for A's PIN though B's is known, and B's
    // is still known afterwards (stock: B stays verified; scd-ts: B's PIN cache entry)
    await t.pins([user, user]);
    for (const slot of [0, 1] as const) {
      await t.agent(`SCD SERIALNO --demand=${t.aids[slot]}`); // most recently used first
      const r = await t.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "per card\n" });
      assertEquals(r.code, 0, r.stderr);
    }
    assertEquals(await cardWork(t), ["PSO 1 AUTH 0", "PSO 1 AUTH 0"]);
    const asked = (await t.home.pinentry.prompts()).map((p) => p.desc ?? "");
    assertEquals(asked.length, 1, asked.join("\n"));
    assertMatch(asked[0]!, new RegExp(t.serials[0]));

    // B removed while A is in use: A goes on working
    await t.plug(1, false);
    await useKeys(t, keys);
    assertEquals(await cardWork(t), ["PSO 2 AUTH 1", "PSO 0 AUTH 0"]);
  },
  { ignore: GNUPG === "2.2" },
);

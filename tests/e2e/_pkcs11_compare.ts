/**
 * The flows of the gnupg-pkcs11-scd comparison (docs/pkcs11.md "Compared with gnupg-pkcs11-scd",
 * tests/e2e/pkcs11_compare_test.ts): each runs through gpg-agent with one smartcard daemon on a
 * SoftHSM2 token and records what happened instead of failing, so the test can assert each
 * daemon's behaviour and print it as a table column.
 * @module
 */
import type { GnupgBed } from "../bed/gnupg.ts";
import { GnupgHome } from "../bed/gnupghome.ts";
import { CERT_KEY, type SoftHsm, SOFTHSM_MODULE, TOKEN_KEYS, TOKEN_PIN } from "../bed/softhsm.ts";

/** The two daemons compared. */
export type CompareDaemon = "scd-ts" | "gnupg-pkcs11-scd";

/** Debian's gnupg-pkcs11-scd (on the host and in the trixie chroot). */
export const PKCS11_SCD = "/usr/bin/gnupg-pkcs11-scd";

/**
 * A P-256 key with a certificate, beside standardToken's keys: gnupg-pkcs11-scd lists only keys
 * with a certificate, so this one shows what it does with an EC key it could see.
 */
export const EC_CERT_KEY = {
  id: "11",
  label: "p256-certified",
  newkey: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
} as const;

/** The token's key labels by CKA_ID (hex). */
export const LABELS = new Map<string, string>([
  ...TOKEN_KEYS.map((k): [string, string] => [k.id, k.label]),
  [CERT_KEY.id, CERT_KEY.label],
  [EC_CERT_KEY.id, EC_CERT_KEY.label],
]);

/** What one daemon did in each flow. */
export interface Observed {
  /** `gpg --card-status`: exit code and the fields the table shows. */
  cardStatus: { code: number; fields: Map<string, string> };
  /** LEARN's APPTYPE. */
  appType: string;
  /** Labels of the keys LEARN announced (KEYPAIRINFO), in its order. */
  learned: string[];
  /** Label → keygrip of the learned keys. */
  grips: Map<string, string>;
  /** The certificate's RSA key as a gpg key made from its keygrip. */
  certKey: { made: boolean; signed: boolean; verified: boolean; decrypted: boolean; error: string };
  /** `SCD KEYINFO <keygrip>` of the certificate's key (2.4's gpg-agent asks it before PKSIGN). */
  scdKeyinfo: string;
  /** `ssh-add -L` before any `sshcontrol` entry: the key types listed. */
  sshListed: string[];
  /** With every learned keygrip in `sshcontrol`: each listed type and whether it signed. */
  sshSigned: { type: string; signed: boolean; error: string }[];
  /** One gpg signature with a wrong PIN: NEEDPINs seen by gpg-agent, gpg's error; then the right PIN. */
  wrongPin: { needPins: number; error: string; rightWorks: boolean } | undefined;
  /**
   * The same through `SCD PKSIGN` of the certificate's key by its LEARN reference (no gpg key
   * needed; gpg-agent passes NEEDPIN to the test pinentry): NEEDPINs and the error.
   */
  wrongPinDirect: { needPins: number; error: string } | undefined;
  /** gpg-agent `KEYINFO --list`: the token keys (`T`) listed, or the error. */
  keyinfoList: { tokenKeys: number; error: string };
}

/** A GNUPGHOME whose gpg-agent runs `daemon` on the token of `hsm`. */
export async function compareHome(
  bed: GnupgBed,
  hsm: SoftHsm,
  daemon: CompareDaemon,
): Promise<GnupgHome> {
  if (daemon === "scd-ts") {
    return await GnupgHome.create(bed, {
      daemon: "scd-ts",
      readerPort: "PKCS#11",
      scdTsEnv: { ...hsm.env, SCD_TS_PKCS11_MODULE: SOFTHSM_MODULE },
    });
  }
  // the bed's stock home (its scdaemon.conf is not read by gnupg-pkcs11-scd), then gpg-agent
  // pointed at a wrapper that gives gnupg-pkcs11-scd the token's SoftHSM2 config
  const home = await GnupgHome.create(bed, { daemon: "stock", readerPort: "none" });
  const wrapper = `${home.path}/gnupg-pkcs11-scd`;
  await Deno.writeTextFile(
    wrapper,
    `#!/bin/sh\nexport SOFTHSM2_CONF='${hsm.conf}'\nexec ${PKCS11_SCD} "$@"\n`,
    { mode: 0o755 },
  );
  // its own config file (gnupg-pkcs11-scd(1)); the log where GnupgHome.scdLog reads stock's
  await Deno.writeTextFile(
    `${home.path}/gnupg-pkcs11-scd.conf`,
    [
      `log-file ${home.path}/scdaemon.log`,
      "verbose",
      "providers p1",
      `provider-p1-library ${SOFTHSM_MODULE}`,
      "",
    ].join("\n"),
  );
  const agentConf = `${home.path}/gpg-agent.conf`;
  const conf = await Deno.readTextFile(agentConf);
  await Deno.writeTextFile(
    agentConf,
    conf.replace(/^scdaemon-program .*$/m, `scdaemon-program ${wrapper}`),
  );
  return home;
}

/** Runs every flow in `home` and records the outcomes. */
export async function observe(bed: GnupgBed, home: GnupgHome): Promise<Observed> {
  const gpg = (args: string[]) => bed.gpg(home.path, args, { timeoutMs: 60000 });
  const sh = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    bed.run(cmd, args, { home: home.path, env, timeoutMs: 60000 });
  const file = async (name: string, text: string) => {
    await Deno.writeTextFile(`${home.path}/${name}`, text);
    return `${home.path}/${name}`;
  };
  const loopback = (pin: string) => ["--pinentry-mode", "loopback", "--passphrase", pin];

  const status = await gpg(["--card-status"]);
  const fields = new Map<string, string>();
  for (const line of status.stdout.split("\n")) {
    const m = /^([A-Z][A-Za-z. ]*?) ?\.*: (.*)$/.exec(line);
    if (m) fields.set(m[1]!, m[2]!.trim());
  }

  const learn = await sh("gpg-connect-agent", ["SCD LEARN --force", "/bye"]);
  const grips = new Map<string, string>();
  const refs = new Map<string, string>(); // label → LEARN's key reference
  const learned: string[] = [];
  for (const line of learn.stdout.split("\n")) {
    const m = /^S KEYPAIRINFO ([0-9A-F]{40}) (\S+)/.exec(line);
    if (!m) continue;
    // scd-ts: P11.<CKA_ID>; gnupg-pkcs11-scd: <serialized token id>/<CKA_ID>
    const id = /(?:P11\.|\/)([0-9A-Fa-f]+)$/.exec(m[2]!)?.[1]?.toLowerCase() ?? "";
    const label = LABELS.get(id) ?? `unknown ${m[2]}`;
    learned.push(label);
    grips.set(label, m[1]!);
    refs.set(label, m[2]!);
  }
  const appType = /^S APPTYPE (\S+)/m.exec(learn.stdout)?.[1] ?? "";

  const message = await file("message.txt", "signed through a PKCS#11 token\n");
  const certKey = { made: false, signed: false, verified: false, decrypted: false, error: "" };
  const certGrip = grips.get(CERT_KEY.label);
  if (certGrip !== undefined) {
    const batch = [
      "Key-Type: RSA",
      `Key-Grip: ${certGrip}`,
      "Key-Usage: sign",
      "Subkey-Type: RSA",
      `Subkey-Grip: ${certGrip}`,
      "Subkey-Usage: encrypt",
      "Name-Real: Token Certified",
      "Expire-Date: 0",
      "%commit",
      "",
    ].join("\n");
    const made = await genKey(bed, home, [
      ...loopback(TOKEN_PIN),
      "--gen-key",
      await file("p", batch),
    ]);
    certKey.made = made === "";
    certKey.error = made;
  } else {
    certKey.error = "its keygrip is not listed";
  }
  if (certKey.made) {
    const sign = ["-u", "Token Certified", "--detach-sign", "-o", `${message}.sig`, message];
    certKey.signed = (await gpg([...loopback(TOKEN_PIN), ...sign])).code === 0;
    const verified = await gpg(["--verify", `${message}.sig`, message]);
    certKey.verified = verified.status.some((l) => l.startsWith("GOODSIG"));
    const enc = ["--trust-model", "always", "-r", "Token Certified", "-e", "-o", `${message}.gpg`];
    await gpg([...enc, message]);
    const decrypted = await gpg([...loopback(TOKEN_PIN), "-d", `${message}.gpg`]);
    certKey.decrypted = decrypted.code === 0 &&
      decrypted.stdout === await Deno.readTextFile(message);
  }

  const { sshListed, sshSigned } = await sshFlows(bed, home, grips, message, file);
  const wrongPin = certKey.made ? await wrongPinFlow(home, gpg, loopback, message) : undefined;
  const certRef = refs.get(CERT_KEY.label);
  const wrongPinDirect = certRef === undefined ? undefined : await wrongPinScd(bed, home, certRef);

  const list = await sh("gpg-connect-agent", ["KEYINFO --list", "/bye"]);
  const keyinfoList = {
    tokenKeys: list.stdout.split("\n").filter((l) => /^S KEYINFO \S+ T /.test(l)).length,
    error: /^ERR \d+ (.*?)(?: <[^>]*>)?$/m.exec(list.stdout)?.[1] ?? "",
  };
  // last: gnupg-pkcs11-scd 0.10.0 answers ERR 41 here or, in some runs, segfaults (seen in
  // dmesg), which broke the next flow when this one came before ssh
  const info = certGrip === undefined
    ? undefined
    : await sh("gpg-connect-agent", [`SCD KEYINFO ${certGrip}`, "/bye"]);
  const scdKeyinfo = info === undefined
    ? "not asked (no keygrip)"
    : /^S KEYINFO /m.test(info.stdout)
    ? "S KEYINFO"
    : `ERR "${/^ERR \d+ (.*?)(?: <[^>]*>)?$/m.exec(info.stdout)?.[1] ?? info.stdout.trim()}"`
      .replace('ERR "End of file"', 'ERR "End of file" (the daemon exited)');
  return {
    cardStatus: { code: status.code, fields },
    appType,
    learned,
    grips,
    certKey,
    scdKeyinfo,
    sshListed,
    sshSigned,
    wrongPin,
    wrongPinDirect,
    keyinfoList,
  };
}

/**
 * `gpg --gen-key`: "" when it worked, else why not. gnupg 2.4's gpg-agent, when the daemon fails
 * KEYINFO for the key, asks for the card again and again (`INQUIRE CONFIRM`, which loopback
 * hands to gpg) without end: gpg is stopped at the third such request (or after 30 s).
 */
async function genKey(bed: GnupgBed, home: GnupgHome, args: string[]): Promise<string> {
  const gpg = bed.spawn("gpg", ["--batch", "--no-tty", "--status-fd", "2", ...args], {
    home: home.path,
  });
  const asked = async () =>
    (await home.agentLog()).split("\n").filter((l) => l.includes("-> INQUIRE CONFIRM")).length;
  const deadline = Date.now() + 30000;
  while (!gpg.exited && Date.now() < deadline && await asked() < 3) {
    await new Promise((r) => setTimeout(r, 200));
  }
  if (!gpg.exited) {
    const looping = await asked() >= 3;
    await gpg.stop();
    return looping
      ? "gpg-agent asks again and again to insert the card (gpg stopped)"
      : "gpg hangs (stopped after 30 s)";
  }
  if ((await gpg.status).code === 0) return "";
  const lines = gpg.output().split("\n").filter((l) => l.startsWith("err: gpg: "));
  return lines.at(-1)?.slice(10).trim() ?? "no message";
}

/** ssh-add -L without and with `sshcontrol`, then `ssh-keygen -Y sign` with each listed key. */
async function sshFlows(
  bed: GnupgBed,
  home: GnupgHome,
  grips: Map<string, string>,
  message: string,
  file: (name: string, text: string) => Promise<string>,
): Promise<Pick<Observed, "sshListed" | "sshSigned">> {
  const sh = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    bed.run(cmd, args, { home: home.path, env, timeoutMs: 60000 });
  const sock = (await sh("gpgconf", ["--list-dirs", "agent-ssh-socket"])).stdout.trim();
  const listKeys = async () =>
    (await sh("ssh-add", ["-L"], { SSH_AUTH_SOCK: sock })).stdout.split("\n")
      .filter((l) => /^(ssh|ecdsa)-/.test(l)).map((l) => l.split(" ").slice(0, 2));
  const sshListed = (await listKeys()).map(([type]) => type!);
  await file("sshcontrol", [...grips.values()].map((g) => `${g}\n`).join(""));
  // ssh has no loopback: the test pinentry answers (more answers than keys; scd-ts caches)
  await home.pinentry.script(Array.from({ length: 12 }, () => ({ pin: TOKEN_PIN })));
  const sshSigned: Observed["sshSigned"] = [];
  // the card key comes again through its keygrip in sshcontrol: each key once
  const keys = new Map((await listKeys()).map(([type, blob]) => [blob, type]));
  for (const [blob, type] of keys) {
    const pub = await file("token.pub", `${type} ${blob}\n`);
    const signers = await file("allowed", `token@example.org ${type} ${blob}\n`);
    await Deno.remove(`${message}.sig`).catch(() => {});
    const signed = await sh("ssh-keygen", ["-Y", "sign", "-f", pub, "-n", "file", message], {
      SSH_AUTH_SOCK: sock,
    });
    const verified = signed.code === 0 && (await bed.run("sh", [
          "-c",
          `ssh-keygen -Y verify -f '${signers}' -I token@example.org -n file -s ` +
          `'${message}.sig' < '${message}'`,
        ])).code === 0;
    // ssh-keygen's last line says why it could not sign
    const error = signed.code === 0
      ? ""
      : (signed.stderr.trim().split("\n").at(-1) ?? "").replaceAll(message, "message.txt");
    sshSigned.push({ type: type!, signed: verified, error });
  }
  return { sshListed, sshSigned };
}

/** `INQUIRE NEEDPIN`s from the daemon in gpg-agent's log (`debug ipc`). */
async function needPins(home: GnupgHome): Promise<number> {
  return (await home.agentLog()).split("\n").filter((l) => l.includes("<- INQUIRE NEEDPIN"))
    .length;
}

/** `SCD PKSIGN` of a SHA-256 digest with `ref`, the pinentry giving only wrong PINs. */
async function wrongPinScd(
  bed: GnupgBed,
  home: GnupgHome,
  ref: string,
): Promise<NonNullable<Observed["wrongPinDirect"]>> {
  await home.killDaemons();
  await home.pinentry.script(Array.from({ length: 5 }, () => ({ pin: "654321" })));
  const before = await needPins(home);
  const r = await bed.run("gpg-connect-agent", [
    `SCD SETDATA ${"AB".repeat(32)}`,
    `SCD PKSIGN --hash=sha256 ${ref}`,
    "/bye",
  ], { home: home.path, timeoutMs: 60000 });
  const err = /^ERR \d+ (.*?)(?: <[^>]*>)?$/m.exec(r.stdout)?.[1];
  return { needPins: await needPins(home) - before, error: err ?? "signed" };
}

/**
 * A signature with a wrong PIN from fresh daemons (nothing cached), counting the `INQUIRE
 * NEEDPIN`s gpg-agent's log (`debug ipc`) shows from the daemon, then one with the right PIN.
 */
async function wrongPinFlow(
  home: GnupgHome,
  gpg: (args: string[]) => Promise<{ code: number; stderr: string }>,
  loopback: (pin: string) => string[],
  message: string,
): Promise<NonNullable<Observed["wrongPin"]>> {
  await home.killDaemons();
  const before = await needPins(home);
  const sign = (out: string) => ["-u", "Token Certified", "--detach-sign", "-o", out, message];
  const wrong = await gpg([...loopback("654321"), ...sign(`${message}.bad.sig`)]);
  const after = await needPins(home);
  const error = wrong.code === 0
    ? "signed"
    : /signing failed: (.+)/.exec(wrong.stderr)?.[1]?.trim() ?? `exit ${wrong.code}`;
  const right = await gpg([...loopback(TOKEN_PIN), ...sign(`${message}.good.sig`)]);
  return { needPins: after - before, error, rightWorks: right.code === 0 };
}

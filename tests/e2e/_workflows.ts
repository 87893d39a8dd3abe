/**
 * Workflow steps shared by the e2e tests: generating keys on the card, signing, verifying,
 * encrypting and decrypting through gpg, each asserting gpg's real outcome.
 *
 * @module
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field, keyFingerprint } from "./_card_status.ts";
import { adminPin, type CardContext, userPin } from "./_fixture.ts";
import type { GpgResult } from "../bed/gnupg.ts";

/** gpg options for software keys without a passphrase (no pinentry involved). */
export const NO_PASSPHRASE = ["--pinentry-mode", "loopback", "--passphrase", ""];

/** Fingerprints and keygrips of a software key, primary first, then the subkeys in order. */
export interface SoftwareKey {
  primary: string;
  fprs: string[];
  grips: string[];
}

/**
 * A passphrase-less software key in the home: an `algo` signing primary, then one subkey per
 * `[algo, usage]` of `subkeys` (for keytocard tests).
 */
export async function softwareKey(
  c: { gpg(args: string[]): Promise<GpgResult> },
  algo: string,
  subkeys: readonly (readonly [string, string])[],
  uid = "Soft <soft@example.org>",
): Promise<SoftwareKey> {
  const gen = await c.gpg([...NO_PASSPHRASE, "--quick-gen-key", uid, algo, "sign", "never"]);
  assertEquals(gen.code, 0, gen.stderr);
  const primary = gen.status.find((l) => l.startsWith("KEY_CREATED "))!.split(" ")[2]!;
  for (const [subAlgo, usage] of subkeys) {
    const sub = await c.gpg([
      ...NO_PASSPHRASE,
      "--quick-add-key",
      primary,
      subAlgo,
      usage,
      "never",
    ]);
    assertEquals(sub.code, 0, sub.stderr);
  }
  const list = await c.gpg(["--with-colons", "--with-keygrip", "--list-secret-keys", primary]);
  const column = (tag: string) =>
    list.stdout.split("\n").filter((l) => l.startsWith(`${tag}:`)).map((l) => l.split(":")[9]!);
  const fprs = column("fpr");
  assertEquals(fprs.length, 1 + subkeys.length, list.stdout);
  return { primary, fprs, grips: column("grp") };
}

/**
 * Runs `fn`, one named workflow of the conformance set (docs/conformance.md); with
 * SCD_E2E_CAPTURE_DIR set, the daemon's Assuan traffic, the card's APDUs and the pinentry
 * dialogs of just this step are captured for `deno task conformance`.
 */
export async function workflow<T>(c: CardContext, name: string, fn: () => Promise<T>): Promise<T> {
  return c.capture === undefined ? await fn() : await c.capture.record(name, fn);
}

/** Fingerprints of the three card keys after generation (40 hex digits each). */
export interface CardKeys {
  /** Primary key fingerprint (the signature key). */
  primary: string;
  sign: string;
  encr: string;
  auth: string;
}

/** The user ID generated keys get. */
export const TEST_UID = "Card Tester <card@example.org>";

/** Reads the card's three key fingerprints from card-status; throws if one is missing. */
export async function cardKeys(c: CardContext): Promise<Omit<CardKeys, "primary">> {
  const s = await c.cardStatus();
  const sign = keyFingerprint(s, "Signature key");
  const encr = keyFingerprint(s, "Encryption key");
  const auth = keyFingerprint(s, "Authentication key");
  assert(sign && encr && auth, `card lacks a key:\n${s.text}`);
  return { sign, encr, auth };
}

/**
 * Sets all three key attributes to ECC on `curve` (the card-edit menu number: 1 = Curve
 * 25519, i.e. ed25519/cv25519/ed25519; 3 = NIST P-256; 4 = NIST P-384).
 */
export async function setEccKeyAttributes(c: CardContext, curve = "1"): Promise<void> {
  await c.pins([adminPin(), adminPin(), adminPin()]);
  const r = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "key-attr", "quit"],
    "cardedit.genkeys.algo": "2",
    "keygen.curve": curve,
  });
  assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
  assertEquals(r.code, 0, r.stderr);
}

/** Generates all three keys on the card with `--card-edit` → admin → generate. */
export async function generateOnCard(c: CardContext): Promise<CardKeys> {
  await c.pins([adminPin(), userPin(), adminPin(), userPin(), userPin()]);
  const name = TEST_UID.slice(0, TEST_UID.indexOf(" <"));
  const email = TEST_UID.slice(TEST_UID.indexOf("<") + 1, -1);
  const r = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "generate", "quit"],
    "cardedit.genkeys.backup_enc": "n",
    "cardedit.genkeys.replace_keys": "y",
    "keygen.valid": "0",
    "keygen.name": name,
    "keygen.email": email,
    "keygen.comment": "",
    "keygen.userid.cmd": "O",
  });
  assertEquals(r.unanswered, undefined, r.transcript.join("\n") + r.stderr);
  assertEquals(r.code, 0, r.stderr);
  const created = r.status.find((l) => l.startsWith("KEY_CREATED "));
  assert(created !== undefined, `no KEY_CREATED status:\n${r.stderr}`);
  const primary = created.split(" ")[2]!;
  const keys = await cardKeys(c);
  assertEquals(keys.sign, primary);
  return { primary, ...keys };
}

/** The card's signature counter from card-status. */
export async function signatureCounter(c: CardContext): Promise<number> {
  return Number(field(await c.cardStatus(), "Signature counter"));
}

/** Clear-signs `text` with `key` (user PIN via pinentry) and returns the signed message. */
export async function clearsign(c: CardContext, key: string, text: string): Promise<string> {
  const r = await c.gpg(["--local-user", key, "--clearsign"], { stdin: text });
  assertEquals(r.code, 0, r.stderr);
  assert(r.status.some((l) => l.startsWith("SIG_CREATED C ")), r.stderr);
  return r.stdout;
}

/** Verifies `signed` (clear-signed or inline) and asserts a good signature by `fpr`. */
export async function assertGoodSignature(
  c: CardContext,
  args: string[],
  fpr: string,
  stdin?: string,
): Promise<void> {
  const r = await c.gpg(["--verify", ...args], stdin === undefined ? {} : { stdin });
  assertEquals(r.code, 0, r.stderr);
  assert(r.status.some((l) => l.startsWith("GOODSIG ")), r.stderr);
  assert(
    r.status.some((l) => l.startsWith(`VALIDSIG `) && l.split(" ").includes(fpr)),
    `no VALIDSIG for ${fpr}:\n${r.stderr}`,
  );
}

/** Encrypts `text` to `recipient`, decrypts it with the card and checks the plaintext. */
export async function encryptDecrypt(c: CardContext, recipient: string, text: string) {
  const plain = await c.file("plain.txt", text);
  const enc = `${c.home.path}/plain.txt.gpg`;
  await Deno.remove(enc).catch(() => {});
  const e = await c.gpg([
    "--trust-model",
    "always",
    "--recipient",
    recipient,
    "--output",
    enc,
    "--encrypt",
    plain,
  ]);
  assertEquals(e.code, 0, e.stderr);
  const d = await c.gpg(["--decrypt", enc]);
  assertEquals(d.code, 0, d.stderr);
  assert(d.status.includes("DECRYPTION_OKAY"), d.stderr);
  assertEquals(d.stdout, text);
  return d;
}

/** Detach-signs a file with `key` and verifies the signature against the file. */
export async function detachSignVerify(c: CardContext, key: string, fpr: string): Promise<void> {
  const data = await c.file("data.bin", crypto.getRandomValues(new Uint8Array(3000)));
  const sig = `${data}.sig`;
  await Deno.remove(sig).catch(() => {});
  const s = await c.gpg(["--local-user", key, "--output", sig, "--detach-sign", data]);
  assertEquals(s.code, 0, s.stderr);
  assert(s.status.some((l) => l.startsWith("SIG_CREATED D ")), s.stderr);
  await assertGoodSignature(c, [sig, data], fpr);
  // a changed byte must not verify
  const bytes = await Deno.readFile(data);
  bytes[0] = bytes[0]! ^ 1;
  await Deno.writeFile(data, bytes);
  const bad = await c.gpg(["--verify", sig, data]);
  assert(bad.code !== 0 && bad.status.some((l) => l.startsWith("BADSIG ")), bad.stderr);
}

/**
 * ssh through gpg-agent's ssh-agent socket with the card's authentication key `authFpr`:
 * `ssh-add -L` lists it (as gpg exports it, of type `keyType`), and after a fresh agent
 * `ssh-keygen -Y sign` signs with it (one user-PIN prompt naming the card; with `name`, the
 * signing step is that conformance workflow) so that `ssh-keygen -Y verify` accepts the signature and refuses it
 * for other data.
 */
export async function sshSignVerify(
  c: CardContext,
  authFpr: string,
  keyType: RegExp,
  name?: string,
): Promise<void> {
  const sock = (await c.run("gpgconf", ["--list-dirs", "agent-ssh-socket"])).stdout.trim();
  assertMatch(sock, /S\.gpg-agent\.ssh$/);
  const env = { SSH_AUTH_SOCK: sock };
  // gpg's own view of the auth key in ssh format: what ssh-add must list
  const exported = await c.gpg(["--export-ssh-key", `${authFpr}!`]);
  assertEquals(exported.code, 0, exported.stderr);
  const [type, blob] = exported.stdout.trim().split(" ");
  assertMatch(type ?? "", keyType);

  const started = await c.run("gpg-connect-agent", ["/bye"]);
  assertEquals(started.code, 0, started.stderr);
  const listed = await c.run("ssh-add", ["-L"], { env });
  assertEquals(listed.code, 0, listed.stderr + listed.stdout);
  const line = listed.stdout.split("\n").find((l) => l.split(" ")[1] === blob);
  assert(line !== undefined, `ssh-add -L lacks the card key:\n${listed.stdout}`);
  assertMatch(line, new RegExp(`cardno:.*${c.serial}`));

  const pub = await c.file("card_auth.pub", `${type} ${blob} card\n`);
  const signers = await c.file("allowed_signers", `card@example.org ${type} ${blob}\n`);
  const data = await c.file("message.txt", "sign me over ssh\n");
  await Deno.remove(`${data}.sig`).catch(() => {});
  // a fresh agent and daemon: the card must ask for the user PIN for the auth key
  await c.restartAgent();
  await c.run("gpg-connect-agent", ["/bye"]);
  await c.pins([userPin()]);
  const sign = () => c.run("ssh-keygen", ["-Y", "sign", "-f", pub, "-n", "file", data], { env });
  const signed = name === undefined ? await sign() : await workflow(c, name, sign);
  assertEquals(signed.code, 0, signed.stderr);
  const sig = await Deno.readTextFile(`${data}.sig`);
  assertMatch(sig, /^-----BEGIN SSH SIGNATURE-----/);
  const prompts = await c.prompts();
  assertEquals(prompts.length, 1, JSON.stringify(prompts));
  assertMatch(prompts[0]!.desc ?? "", /Please unlock the card/);
  assertMatch(prompts[0]!.desc ?? "", new RegExp(c.serial));

  const verify = (stdin: string) =>
    c.run("ssh-keygen", [
      "-Y",
      "verify",
      "-f",
      signers,
      "-I",
      "card@example.org",
      "-n",
      "file",
      "-s",
      `${data}.sig`,
    ], { stdin });
  const verified = await verify("sign me over ssh\n");
  assertEquals(verified.code, 0, verified.stderr + verified.stdout);
  assertMatch(verified.stdout + verified.stderr, /Good "file" signature for card@example.org/);
  assert((await verify("something else\n")).code !== 0, "other data must not verify");
}

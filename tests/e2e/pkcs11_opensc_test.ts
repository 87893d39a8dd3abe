/**
 * Issue 23: a card reached through PKCS#11. The virtual OpenPGP card behind pcscd gets keys
 * through scd-ts's own OpenPGP backend; then scd-ts is configured with OpenSC's
 * `opensc-pkcs11.so` and `reader PKCS#11`, so its OpenPGP backend opens no card, and the same
 * keys must work through OpenSC: card-status, signing with the gpg key made on the card,
 * decryption. Runs for scd-ts on gnupg 2.2 (the 2.4 chroot has no OpenSC module).
 * @module
 */

import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { cardTest, DAEMON, GNUPG, userPin } from "./_fixture.ts";
import { detachSignVerify, encryptDecrypt, generateOnCard } from "./_workflows.ts";

const OPENSC_MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";

function haveOpenSc(): boolean {
  try {
    Deno.statSync(OPENSC_MODULE);
    return true;
  } catch {
    return false;
  }
}

const ignore = DAEMON !== "scd-ts" || GNUPG !== "2.2" || !haveOpenSc();

cardTest("OpenSC's PKCS#11 module over the virtual OpenPGP card", async (c) => {
  const keys = await generateOnCard(c);
  await Deno.writeTextFile(
    `${c.home.path}/scd-ts.conf`,
    `log ${c.home.path}/scd-ts.log\nlog-level debug\ntrace ${c.home.path}/scd-ts.trace\n` +
      `reader PKCS#11\npkcs11-module ${OPENSC_MODULE}\n`,
  );
  await c.restartAgent();
  const traceFile = `${c.home.path}/scd-ts.trace`;
  const tracedBefore = (await Deno.readFile(traceFile)).length;
  // one reader for the card: OpenSC's two slots (User PIN, User PIN (sig)) share its serial
  const learn = await c.run("gpg-connect-agent", ["SCD LEARN --force", "/bye"]);
  assertEquals(learn.code, 0, learn.stderr);
  assertMatch(learn.stdout, /S READER PKCS#11 opensc-pkcs11\.so OpenPGP card/);
  const pairs = learn.stdout.split("\n").filter((l) => l.startsWith("S KEYPAIRINFO "));
  assertEquals(pairs.length, 3, learn.stdout);
  // the agent's stubs now name the token (LEARN --force replaces those of the OpenPGP card)
  const relearn = await c.run("gpg-connect-agent", ["LEARN --force", "/bye"]);
  assertEquals(relearn.code, 0, relearn.stderr);
  const status = await c.gpg(["--card-status"]);
  assertEquals(status.code, 0, status.stderr);
  assertMatch(status.stdout, /Reader \.+: PKCS#11 opensc-pkcs11\.so/);

  await c.pins([userPin()]);
  await detachSignVerify(c, keys.primary, keys.primary);
  await c.pins([userPin()]);
  await encryptDecrypt(c, keys.primary, "through OpenSC's PKCS#11 module\n");
  // since the switch: the daemon spoke only of the token, and signed and decrypted with it
  const trace = new TextDecoder().decode((await Deno.readFile(traceFile)).subarray(tracedBefore));
  const serial = /S SERIALNO ([0-9A-F]{32})\n/.exec(learn.stdout)?.[1];
  assert(serial && trace.includes(`S SERIALNO ${serial}`), trace);
  assert(!trace.includes("S SERIALNO D276000124"), "the OpenPGP backend opened the card");
  assertMatch(trace, /<- PKSIGN .*[0-9A-F]{40}|<- PKSIGN .*P11\./);
  assertMatch(trace, /<- PKDECRYPT /);
}, { ignore });

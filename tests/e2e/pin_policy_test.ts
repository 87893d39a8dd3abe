/**
 * scd-ts's PIN policy seen from outside, through gpg and a second PC/SC client:
 * - strict (default): after a signature or a decryption the card is not left verified, so
 *   another program sending PSO:CDS or DECIPHER without a VERIFY of its own is refused
 *   (6982); stock in `pcsc-shared` mode leaves it verified, and in its default mode keeps
 *   the card to itself;
 * - `pin-policy session` keeps the card verified (the documented risk);
 * - a VERIFY sent raw with `SCD APDU` follows the same policy (strict: the card is reset);
 * - PINs never appear in scd-ts's debug log or Assuan trace;
 * - a blocked PIN is reported as such, exactly as with stock, and costs nothing more;
 * - with UIF on, gpg-agent shows "Push ACK button" while the card waits (scd-ts only:
 *   stock learns of the wait only from its own CCID driver).
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field } from "./_card_status.ts";
import {
  ADMIN_PIN,
  adminPin,
  type CardContext,
  cardTest,
  CURVE25519,
  DAEMON,
  GNUPG,
  USER_PIN,
} from "./_fixture.ts";
import { otherClient as runOtherClient } from "./_other_client.ts";
import { clearsign, encryptDecrypt, generateOnCard, setEccKeyAttributes } from "./_workflows.ts";

/** PSO:COMPUTE DIGITAL SIGNATURE over 32 bytes, as a program without the PIN would try it. */
const PSO_CDS = "002A9E9A20" + "5A".repeat(32) + "00";
const SELECT_OPENPGP = "00A4040006D27600012401";

/** Another PC/SC client's status words for `apdus`; fails the test if it cannot connect. */
async function otherClient(c: CardContext, apdus: string[]): Promise<string[]> {
  const r = await runOtherClient(c, apdus);
  assertEquals(r.code, 0, r.out);
  return r.sws!;
}

/** ed25519/cv25519 keys on the card, then a fresh agent (nothing verified, nothing cached). */
async function cardWithKeys(c: CardContext) {
  await setEccKeyAttributes(c, "1");
  const keys = await generateOnCard(c);
  await c.restartAgent();
  return keys;
}

cardTest(
  "after a signature another PC/SC client's PSO:CDS without VERIFY is refused",
  async (c) => {
    const keys = await cardWithKeys(c);
    await c.pins([{ pin: USER_PIN }]);
    await clearsign(c, keys.primary, "signed\n");
    // the OpenPGP application is still selected; the other client goes straight to PSO:CDS
    const direct = await otherClient(c, [PSO_CDS]);
    const reselected = await otherClient(c, [SELECT_OPENPGP, PSO_CDS]);
    if (DAEMON === "scd-ts") {
      assertEquals(direct, ["6982"]);
      assertEquals(reselected, ["9000", "6982"]);
    } else {
      // stock with pcsc-shared: the card stays verified for anyone (until a SELECT clears it)
      assertEquals(direct, ["9000"]);
    }
    await c.pins([]);
    if (DAEMON === "scd-ts") {
      // gpg goes on working without a new prompt: the PIN cache answers, VERIFY goes again
      await clearsign(c, keys.primary, "signed again\n");
      assertEquals((await c.prompts()).filter((p) => p.command === "GETPIN"), []);
    } else {
      // stock still believes the card verified (did_chv1) after the other client's SELECT
      // cleared it: PSO:CDS gets 6982, reported as a bad PIN (scdaemon-protocol.md §8.2)
      const r = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "again\n" });
      assertMatch(r.stderr, /signing failed: Bad PIN/);
    }
  },
  { pcscShared: true, needs: CURVE25519 },
);

cardTest(
  "after a decryption another PC/SC client's DECIPHER without VERIFY is refused",
  async (c) => {
    const keys = await cardWithKeys(c);
    await c.pins([{ pin: USER_PIN }]);
    await encryptDecrypt(c, keys.primary, "secret\n");
    // too short for any key: the card refuses it for want of PW1 82 before reading it (a
    // verified card would refuse the data instead). Straight away, as a client that finds the
    // application still selected would (a SELECT alone clears the verification): 6982 after
    // VERIFY FF, 6D00 (nothing selected) after a card reset
    const decipher = "002A8086050011223344" + "00";
    const [direct] = await otherClient(c, [decipher]);
    assert(["6982", "6D00"].includes(direct ?? ""), `DECIPHER straight away answered ${direct}`);
    assertEquals(await otherClient(c, [SELECT_OPENPGP, decipher]), ["9000", "6982"]);
  },
  { ignore: DAEMON !== "scd-ts", needs: CURVE25519 },
);

cardTest(
  "pin-policy session keeps the card verified for other clients (the documented risk)",
  async (c) => {
    const keys = await cardWithKeys(c);
    await Deno.writeTextFile(`${c.home.path}/scd-ts.conf`, "pin-policy session\n", {
      append: true,
    });
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }]);
    await clearsign(c, keys.primary, "signed\n");
    assertEquals(await otherClient(c, [PSO_CDS]), ["9000"]);
  },
  { ignore: DAEMON !== "scd-ts", needs: CURVE25519 },
);

/** `gpg-connect-agent` lines, `SCD APDU` each, through the agent to the daemon under test. */
async function scdApdus(c: CardContext, ...apdus: string[]): Promise<string> {
  const r = await c.run("gpg-connect-agent", [
    "SCD SERIALNO",
    ...apdus.map((a) => `SCD APDU ${a}`),
    "/bye",
  ]);
  assertEquals(/^ERR/m.test(r.stdout), false, r.stdout + r.stderr);
  return r.stdout;
}

/** VERIFY PW1 82 with the factory user PIN, and the same VERIFY without data (status query). */
const VERIFY_82 = "00 20 00 82 06 313233343536";
const STATUS_82 = "0020008200";

cardTest(
  "strict: a VERIFY sent with SCD APDU does not leave the card verified for another client",
  async (c) => {
    await scdApdus(c, SELECT_OPENPGP, VERIFY_82);
    const [direct] = await otherClient(c, [STATUS_82]);
    assert(direct !== "9000", `status query without SELECT answered ${direct}`);
    const [select, status, decipher] = await otherClient(c, [
      SELECT_OPENPGP,
      STATUS_82,
      "002A8086050011223344" + "00",
    ]);
    assertEquals(select, "9000");
    assertMatch(status!, /^(63C.|6982)$/);
    assertEquals(decipher, "6982");
  },
  { ignore: DAEMON !== "scd-ts" },
);

cardTest(
  "pin-policy session: a VERIFY sent with SCD APDU stays verified (the documented risk)",
  async (c) => {
    await Deno.writeTextFile(`${c.home.path}/scd-ts.conf`, "pin-policy session\n", {
      append: true,
    });
    await c.restartAgent();
    await scdApdus(c, SELECT_OPENPGP, VERIFY_82);
    assertEquals(await otherClient(c, [STATUS_82]), ["9000"]);
  },
  { ignore: DAEMON !== "scd-ts" },
);

cardTest("PINs never show in scd-ts's debug log or Assuan trace", async (c) => {
  const keys = await cardWithKeys(c);
  const userPin = "864213", adminPinNew = "97531864";
  // change both PINs: old, new, repeat for each
  await c.pins([
    { pin: USER_PIN },
    { pin: userPin },
    { pin: userPin },
    { pin: ADMIN_PIN },
    { pin: adminPinNew },
    { pin: adminPinNew },
  ]);
  const p = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "passwd", "quit"],
    "cardutil.change_pin.menu": ["1", "3", "q"],
  });
  assertEquals(p.code, 0, p.stderr);
  await c.restartAgent();
  await c.pins([{ pin: adminPinNew, when: "prompt=Admin PIN" }, { pin: userPin }, {
    pin: userPin,
  }]);
  const n = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "name", "verify", "quit"],
    "keygen.smartcard.surname": "Secret",
    "keygen.smartcard.givenname": "Keeper",
  });
  assertEquals(n.code, 0, n.stderr);
  await clearsign(c, keys.primary, "signed\n");
  await encryptDecrypt(c, keys.primary, "decrypted\n");
  assertEquals(field(await c.cardStatus(), "Name of cardholder"), "Keeper Secret");

  const log = await c.home.scdLog();
  const trace = await Deno.readTextFile(`${c.home.path}/scd-ts.trace`);
  assert(log.includes("[DBG]"), "the log is at debug level");
  assertMatch(trace, /INQUIRE NEEDPIN/);
  const hex = (s: string) =>
    [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, "0")).join("");
  for (const secret of [USER_PIN, ADMIN_PIN, userPin, adminPinNew]) {
    for (const text of [log, trace]) {
      assert(!text.includes(secret), `PIN ${secret} in the log or trace`);
      assert(!text.toLowerCase().includes(hex(secret)), `PIN ${secret} (hex) in the log or trace`);
    }
  }
}, { ignore: DAEMON !== "scd-ts", needs: CURVE25519 });

cardTest(
  "a blocked PIN is reported as stock reports it and nothing is sent after it",
  async (c) => {
    const keys = await cardWithKeys(c);
    for (let i = 0; i < 3; i++) {
      await c.restartAgent();
      await c.pins([{ pin: "999999" }]);
      const bad = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "x\n" });
      assertMatch(bad.stderr, /signing failed: Bad PIN/);
    }
    const before = await c.cardStatus();
    assertMatch(field(before, "PIN retry counter"), /^0 /);
    await c.restartAgent();
    await c.pins([{ pin: USER_PIN }]);
    const blocked = await c.gpg(["--local-user", keys.primary, "--clearsign"], { stdin: "x\n" });
    assertEquals(blocked.code, 2, blocked.stderr);
    assertMatch(blocked.stderr, /gpg: signing failed: PIN blocked/);
    // at most the one prompt stock shows too; counters unchanged
    assert((await c.prompts()).filter((p) => p.command === "GETPIN").length <= 1);
    const after = await c.cardStatus();
    assertEquals(field(after, "PIN retry counter"), field(before, "PIN retry counter"));
    assertEquals(field(after, "Signature counter"), field(before, "Signature counter"));
  },
  { needs: CURVE25519 },
);

cardTest("UIF on: gpg-agent shows the touch prompt while the card waits", async (c) => {
  const keys = await cardWithKeys(c);
  await c.pins([adminPin()]);
  const set = await c.run("gpg-connect-agent", ["SCD SETATTR UIF-1 %01+", "/bye"]);
  assertMatch(set.stdout, /^OK/m, set.stdout + set.stderr);
  if (GNUPG === "2.4") assertMatch(field(await c.cardStatus(), "UIF setting"), /^Sign=on /);
  await c.restartAgent();
  await c.pins([{ pin: USER_PIN }]);
  await clearsign(c, keys.primary, "touched\n");
  const dialogs = await c.prompts();
  assertEquals(dialogs[0]?.command, "GETPIN", JSON.stringify(dialogs));
  assert(
    dialogs.some((d) => d.command !== "GETPIN" && /Push ACK button/.test(d.desc ?? "")),
    JSON.stringify(dialogs, null, 1),
  );
}, { ignore: DAEMON !== "scd-ts", needs: ["uif", ...CURVE25519] });

cardTest(
  "UIF turned on by another program is seen after gpg --card-status: the next signature shows the touch prompt",
  async (c) => {
    const keys = await cardWithKeys(c);
    await c.pins([{ pin: USER_PIN }]);
    await clearsign(c, keys.primary, "before\n"); // the daemon now knows the card: UIF off
    const ack = (d: { command: string; desc?: string | undefined }) =>
      d.command !== "GETPIN" && /Push ACK button/.test(d.desc ?? "");
    assert(!(await c.prompts()).some(ack));
    // another program (ykman-like) turns touch on for the signing key with the Admin PIN
    const admin = Array.from(
      new TextEncoder().encode(ADMIN_PIN),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
    const verify = `00200083${(admin.length / 2).toString(16).padStart(2, "0")}${admin}`;
    assertEquals(await otherClient(c, [SELECT_OPENPGP, verify, "00DA00D6020120"]), [
      "9000",
      "9000",
      "9000",
    ]);
    const status = await c.cardStatus(); // LEARN --force
    if (GNUPG === "2.4") assertMatch(field(status, "UIF setting"), /^Sign=on /);
    await c.pins([{ pin: USER_PIN }]);
    await clearsign(c, keys.primary, "after\n");
    const dialogs = await c.prompts();
    assert(dialogs.some(ack), JSON.stringify(dialogs, null, 1));
  },
  { ignore: DAEMON !== "scd-ts", needs: ["uif", ...CURVE25519] },
);

cardTest("prompts as with stock: sign, sign, decrypt asks twice; decrypt, sign once", async (c) => {
  const keys = await cardWithKeys(c);
  await c.pins([{ pin: USER_PIN }, { pin: USER_PIN }, { pin: USER_PIN }]);
  await clearsign(c, keys.primary, "one\n");
  await clearsign(c, keys.primary, "two\n");
  // stock's signature verifies CHV1 only, so the decryption asks (VERIFY 82) …
  await encryptDecrypt(c, keys.primary, "three\n");
  assertEquals((await c.prompts()).filter((p) => p.command === "GETPIN").length, 2);

  await c.restartAgent();
  await c.pins([{ pin: USER_PIN }, { pin: USER_PIN }]);
  // … while a decryption verifies CHV2 and CHV1 (verify_chv2), covering the signature
  await encryptDecrypt(c, keys.primary, "first a decryption\n");
  await clearsign(c, keys.primary, "then a signature\n");
  assertEquals((await c.prompts()).filter((p) => p.command === "GETPIN").length, 1);
}, { needs: CURVE25519 });

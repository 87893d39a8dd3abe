/**
 * Card status and the cardholder data objects: what `gpg --card-status` shows for a fresh
 * card, and that `--card-edit` admin commands change it.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { field } from "./_card_status.ts";
import { ADMIN_PIN, adminPin, cardTest, GNUPG, READER } from "./_fixture.ts";
import { workflow } from "./_workflows.ts";

cardTest("card-status shows a fresh card's identity, attributes and counters", async (c) => {
  const r = await workflow(c, "card-status", () => c.gpg(["--card-status"]));
  assertEquals(r.code, 0, r.stderr);
  const aid = `D276000124010304FFFE${c.serial}0000`;
  assert(r.status.includes(`CARDCTRL 3 ${aid}`), r.status.join("\n"));
  const s = await c.cardStatus();
  assertEquals(field(s, "Reader"), READER);
  assertEquals(field(s, "Application ID"), aid);
  assertEquals(field(s, "Application type"), "OpenPGP");
  assertEquals(field(s, "Version"), "3.4");
  assertEquals(field(s, "Serial number"), c.serial);
  assertEquals(field(s, "Name of cardholder"), "[not set]");
  assertEquals(field(s, "Language prefs"), "[not set]");
  assertEquals(field(s, "URL of public key"), "[not set]");
  assertEquals(field(s, "Login data"), "[not set]");
  assertEquals(field(s, "Key attributes"), "rsa2048 rsa2048 rsa2048");
  assertEquals(field(s, "Max. PIN lengths"), "127 127 127");
  assertEquals(field(s, "PIN retry counter"), "3 0 3");
  assertEquals(field(s, "Signature counter"), "0");
  assertEquals(field(s, "KDF setting"), "off");
  if (GNUPG === "2.4") assertEquals(field(s, "UIF setting"), "Sign=off Decrypt=off Auth=off");
  for (const key of ["Signature key", "Encryption key", "Authentication key"]) {
    assertEquals(field(s, key), "[none]");
  }
  // the colon listing carries the same facts in machine form
  const colons = await c.gpg(["--with-colons", "--card-status"]);
  assertMatch(colons.stdout, new RegExp(`^Reader:${READER}:AID:${aid}:openpgp-card:$`, "m"));
  assertMatch(colons.stdout, /^version:0304:$/m);
  assertMatch(colons.stdout, new RegExp(`^serial:${c.serial}:$`, "m"));
  assertMatch(colons.stdout, /^pinretry:3:0:3:$/m);
  assertMatch(colons.stdout, /^sigcount:0:::$/m);
  assertMatch(colons.stdout, /^keyattr:1:1:2048:$/m);
  // the card process agrees (control port), and the daemon really talked to it
  const st = await c.card.control({ cmd: "status" });
  assertEquals([st.connected, st.serial], [true, c.serial]);
  const log = await c.card.apduLog();
  assert((log.byIns["CA"]?.count ?? 0) > 0, JSON.stringify(log));
});

cardTest("card-edit sets name, url, login, lang and salutation", async (c) => {
  await c.pins([adminPin()]);
  const r = await workflow(c, "name-url-login-lang", () =>
    c.interact(["--card-edit"], {
      "cardedit.prompt": ["admin", "name", "url", "login", "lang", "salutation", "quit"],
      "keygen.smartcard.surname": "Tester",
      "keygen.smartcard.givenname": "Alice",
      "cardedit.change_url": "https://example.org/alice.asc",
      "cardedit.change_login": "alice",
      "cardedit.change_lang": "de",
      "cardedit.change_sex": "f",
    }));
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.unanswered, undefined, r.transcript.join("\n"));
  const s = await c.cardStatus();
  assertEquals(field(s, "Name of cardholder"), "Alice Tester");
  assertEquals(field(s, "URL of public key"), "https://example.org/alice.asc");
  assertEquals(field(s, "Login data"), "alice");
  assertEquals(field(s, "Language prefs"), "de");
  assertEquals(field(s, "Salutation"), "Ms.");
  // one Admin PIN prompt: stock keeps PW3 verified for the rest of the session
  const prompts = await c.prompts();
  assertEquals(prompts.filter((p) => p.command === "GETPIN").length, 1, JSON.stringify(prompts));
  assertMatch(prompts[0]!.desc ?? "", /Admin PIN/);
  assertMatch(
    prompts[0]!.desc ?? "",
    new RegExp(`${c.serial.slice(0, 4)} ?${c.serial.slice(4)}|${c.serial}`),
  );
  assert(ADMIN_PIN.length === 8);
});

cardTest("card-edit forcesig toggles the signature PIN flag", async (c) => {
  const before = field(await c.cardStatus(), "Signature PIN");
  await c.pins([adminPin(), adminPin()]);
  const r = await c.interact(["--card-edit"], { "cardedit.prompt": ["admin", "forcesig", "quit"] });
  assertEquals(r.code, 0, r.stderr);
  const after = field(await c.cardStatus(), "Signature PIN");
  assertEquals(new Set([before, after]), new Set(["forced", "not forced"]));
  const back = await c.interact(["--card-edit"], {
    "cardedit.prompt": ["admin", "forcesig", "quit"],
  });
  assertEquals(back.code, 0, back.stderr);
  assertEquals(field(await c.cardStatus(), "Signature PIN"), before);
});

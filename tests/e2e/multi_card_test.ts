/**
 * Several cards at once (issue 11, docs/multi-card.md): two virtual cards in the two vpcd
 * readers. The gnupg 2.3+ multi-card commands are answered line by line as stock scdaemon
 * 2.4.7 answers them on the same two cards (the expectations below were recorded from stock;
 * run this file with SCD_E2E_DAEMON=stock and =scd-ts); `gpg-card list` prints the same.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { adminPin, DAEMON, userPin } from "./_fixture.ts";
import { GNUPG, type TwoCards, twoCardTest } from "./_two_cards.ts";
import { scdSocket } from "./_two_cards.ts";

/** Lines with the two cards' AIDs as `<A>`/`<B>` and process ids as `<pid>`. */
function normalise(t: TwoCards, lines: string[]): string[] {
  return lines.map((l) =>
    l.replaceAll(t.aids[0], "<A>").replaceAll(t.aids[1], "<B>")
      .replace(/process \d+/, "process <pid>")
  );
}

/** One `gpg-connect-agent` session per entry: its commands and stock 2.4.7's answer. */
const PROTOCOL: [string[], string[]][] = [
  // the scan opens both; the card found last (reader 1) is current, as stock's card_top
  [["SCD SERIALNO --all"], ["S SERIALNO <B>", "OK"]],
  [["SCD GETINFO card_list"], ["S SERIALNO <A>", "S SERIALNO <B>", "OK"]],
  [["SCD GETINFO active_apps"], ["OK"]],
  [["SCD GETINFO all_active_apps"], ["S SERIALNO <A> openpgp", "S SERIALNO <B> openpgp", "OK"]],
  [["SCD KEYINFO --list"], ["OK"]],
  [["SCD SERIALNO"], ["S SERIALNO <B>", "OK"]],
  [["SCD SWITCHCARD"], ["S SERIALNO <B>", "OK"]],
  // SWITCHCARD binds the session but does not make A the most recently used card
  [["SCD SWITCHCARD <A>", "SCD GETINFO active_apps", "SCD SERIALNO"], [
    "S SERIALNO <A>",
    "OK",
    "S SERIALNO <A> openpgp",
    "OK",
    "S SERIALNO <B>",
    "OK",
  ]],
  [["SCD SWITCHCARD D276000124010304FFFE000000010000"], ["ERR 100663323 Not found <SCD>"]],
  [["SCD SWITCHAPP"], ["S SERIALNO <B> openpgp", "OK"]],
  [["SCD SWITCHAPP piv"], ["S SERIALNO <B> openpgp", "OK"]],
  // --demand does
  [["SCD SERIALNO --demand=<A>"], ["S SERIALNO <A>", "OK"]],
  [["SCD SERIALNO"], ["S SERIALNO <A>", "OK"]],
  [["SCD SERIALNO --demand=D276000124010304FFFE000000010000"], [
    "ERR 100696144 No such device <SCD>",
  ]],
  [["SCD DEVINFO"], [
    "S DEVINFO_START",
    "S DEVICE generic <A> openpgp",
    "S DEVICE generic <B> openpgp",
    "S DEVINFO_END",
    "OK",
  ]],
  [["SCD KEYINFO --list=sign"], ["OK"]],
];

twoCardTest("2.4 multi-card commands answer as stock 2.4.7 on two cards", async (t) => {
  for (const [commands, expected] of PROTOCOL) {
    const sent = commands.map((c) => c.replace("<A>", t.aids[0]).replace("<B>", t.aids[1]));
    assertEquals(normalise(t, await t.agent(...sent)), expected, commands.join(" | "));
  }
  // a removal of B: only A is left, and it becomes current; B comes back at the front
  await t.plug(1, false);
  assertEquals(normalise(t, await t.agent("SCD GETINFO card_list")), ["S SERIALNO <A>", "OK"]);
  assertEquals(normalise(t, await t.agent("SCD SERIALNO --all")), ["S SERIALNO <A>", "OK"]);
  await t.plug(1, true);
  assertEquals(normalise(t, await t.agent("SCD SERIALNO --all")), ["S SERIALNO <B>", "OK"]);
  assertEquals(normalise(t, await t.agent("SCD GETINFO card_list")), [
    "S SERIALNO <A>",
    "S SERIALNO <B>",
    "OK",
  ]);
}, { ignore: GNUPG === "2.2" });

twoCardTest(
  "DEVINFO --watch reports a removal and a card found by a scan as stock 2.4.7 (scd-ts: to two watchers)",
  async (t) => {
    // through gpg-agent the pipe connection is used, which stock refuses for --watch. scd-ts
    // serves two socket watchers at once (2.4.6's T7151 fix); stock 2.4.7 stalled with two
    // after the removal status (docs/stock-observations.md §13), so it gets one
    const watch = await scdSocket(t);
    const watchers = DAEMON === "stock" ? [watch] : [watch, await scdSocket(t)];
    for (const w of watchers) {
      await w.waitFor(/^OK /);
      await w.send("DEVINFO --watch");
      await w.waitFor(/^S DEVINFO_END$/, 2);
    }
    await t.cards[1].control({ cmd: "remove" });
    for (const w of watchers) await w.waitFor(/^S DEVINFO_END$/, 3);
    await t.cards[1].control({ cmd: "insert" });
    // stock announces a card once a scan opened it: SERIALNO from another session
    await t.plug(1, true);
    for (const w of watchers) {
      await w.waitFor(/^S DEVINFO_END$/, 4);
      await w.send("NOP");
      await w.waitFor(/^OK$/, 2);
      w.close();
    }
    for (const w of watchers) assertEquals(normalise(t, w.lines()), normalise(t, watch.lines()));
    assertEquals(normalise(t, watch.lines()), [
      "OK GNU Privacy Guard's Smartcard server ready, process <pid>",
      "S DEVINFO_START",
      "S DEVICE generic <B> openpgp",
      "S DEVICE generic <A> openpgp",
      "S DEVINFO_END",
      "S DEVINFO_START",
      "S DEVICE generic <B> openpgp",
      "S DEVICE generic <A> openpgp",
      "S DEVINFO_END",
      "S DEVINFO_STATUS removal",
      "S DEVINFO_START",
      "S DEVICE generic <A> openpgp",
      "S DEVINFO_END",
      "S DEVINFO_STATUS new",
      "S DEVINFO_START",
      "S DEVICE generic <B> openpgp",
      "S DEVICE generic <A> openpgp",
      "S DEVINFO_END",
      "OK",
      "OK",
    ]);
  },
  { ignore: GNUPG === "2.2" },
);

/** `gpg-card list` of a fresh virtual card as stock 2.4.7 prints it (after normalising). */
function cardListing(slot: 0 | 1, fields: { name?: string; url?: string } = {}): string[] {
  const sn = slot === 0 ? "<A>" : "<B>";
  return [
    `Reader ...........: Virtual PCD 00 0${slot}`,
    `Serial number ....: ${sn}`,
    "Application type .: OpenPGP",
    "Version ..........: 3.4",
    `Displayed s/n ....: FFFE ${sn}`,
    "Manufacturer .....: unmanaged S/N range (fffe)",
    `Name of cardholder: ${fields.name ?? "[not set]"}`,
    "Language prefs ...: [not set]",
    "Salutation .......: ",
    `URL of public key : ${fields.url ?? "[not set]"}`,
    "Login data .......: [not set]",
    "Signature PIN ....: not forced",
    "Max. PIN lengths .: 127 127 127",
    "PIN retry counter : 3 0 3",
    "Signature counter : 0",
    "Capabilities .....: key-import algo-change button priv-data",
    "KDF setting ......: on",
    "UIF setting ......: Sign=off Decrypt=off Auth=off",
    "Signature key ....: [none]",
    "      keyref .....: OPENPGP.1",
    "      algorithm ..: rsa2048",
    "Encryption key....: [none]",
    "      keyref .....: OPENPGP.2",
    "      algorithm ..: rsa2048",
    "Authentication key: [none]",
    "      keyref .....: OPENPGP.3",
    "      algorithm ..: rsa2048",
  ];
}

/** `gpg-card ARGS` output lines, serials and displayed serials normalised. */
async function gpgCard(t: TwoCards, args: string[], stdin?: string): Promise<string[]> {
  // name and url read from the terminal: give gpg-card one (util-linux script)
  const r = stdin === undefined
    ? await t.run("gpg-card", args)
    : await t.run("script", ["-qec", `gpg-card ${args.join(" ")}`, "/dev/null"], { stdin });
  assertEquals(r.code, 0, r.stdout + r.stderr);
  const disp = (aid: string) => aid.slice(20, 28);
  return normalise(t, r.stdout.split("\n").filter((l) => l !== ""))
    .map((l) => l.replace(disp(t.aids[0]), "<A>").replace(disp(t.aids[1]), "<B>"));
}

/** Which card each PIN dialog since the last `pins()` was for. */
async function promptedCards(t: TwoCards): Promise<string[]> {
  return (await t.home.pinentry.prompts()).map((p) =>
    p.desc?.includes(t.serials[0]) ? "A" : p.desc?.includes(t.serials[1]) ? "B" : `? ${p.desc}`
  );
}

twoCardTest(
  "gpg-card list, list SERIAL, verify, name and url print what stock 2.4.7 prints",
  async (t) => {
    assertEquals(await gpgCard(t, ["list"]), cardListing(1));
    assertEquals(await gpgCard(t, ["list", t.aids[0]]), cardListing(0));
    // verify (CHECKPIN) asks for the PIN of the card it names; one card's PIN is not the other's
    await t.pins([userPin(), userPin(), userPin()]);
    await gpgCard(t, ["verify"]);
    await gpgCard(t, ["list", t.aids[0], "--", "verify"]);
    await gpgCard(t, ["verify"]);
    assertEquals(await promptedCards(t), ["B", "A", "B"]);
    // name and url write to the current card (B) only
    await t.pins([adminPin()]);
    await gpgCard(t, ["name"], "Doe\nJane\n");
    await gpgCard(t, ["url"], "https://example.org/key.asc\n");
    assertEquals(await promptedCards(t), ["B"]);
    assertEquals(
      await gpgCard(t, ["list"]),
      cardListing(1, { name: "Jane Doe", url: "https://example.org/key.asc" }),
    );
    assertEquals(await gpgCard(t, ["list", t.aids[0]]), cardListing(0));
  },
  { ignore: GNUPG === "2.2" },
);

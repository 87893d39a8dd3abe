/**
 * Stock scdaemon is the oracle: the same card, the same GNUPGHOME, the same gpg — once with
 * stock scdaemon and once with scd-ts as `scdaemon-program` — must give the same
 * `gpg --card-status`, field by field (plain and `--with-colons`, with and without keys on
 * the card). Runs when SCD_E2E_DAEMON=scd-ts (the home is then made for scd-ts and switched
 * to stock for the reference run); ignored for the stock-only matrix entry.
 */
import {
  deepStrictEqual as assertEquals,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { STOCK_SCDAEMON } from "../bed/gnupg.ts";
import { type CardStatus, field } from "./_card_status.ts";
import { type CardContext, cardTest, CURVE25519, DAEMON, GNUPG } from "./_fixture.ts";
import { generateOnCard, setEccKeyAttributes } from "./_workflows.ts";

const ignore = DAEMON !== "scd-ts";

/** Points gpg-agent.conf's scdaemon-program at `daemon` and restarts the agent. */
async function useDaemon(c: CardContext, daemon: "stock" | "scd-ts"): Promise<void> {
  const conf = `${c.home.path}/gpg-agent.conf`;
  const program = daemon === "stock" ? STOCK_SCDAEMON : `${c.home.path}/scd-ts`;
  const text = await Deno.readTextFile(conf);
  await Deno.writeTextFile(
    conf,
    text.replace(/^scdaemon-program .*$/m, `scdaemon-program ${program}`),
  );
  await c.restartAgent();
  // The first SERIALNO after a restart may race pcscd's view of the card: wait until it works.
  const deadline = Date.now() + 10000;
  for (;;) {
    const r = await c.run("gpg-connect-agent", ["SCD SERIALNO", "/bye"]);
    if (/^S SERIALNO /m.test(r.stdout)) return;
    if (Date.now() > deadline) throw new Error(`Cannot see the card with ${daemon}: ${r.stdout}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** `gpg --card-status` (and the colon form) with `daemon`. */
async function statusWith(
  c: CardContext,
  daemon: "stock" | "scd-ts",
  extra: string[] = [],
): Promise<{ status: CardStatus; colons: string; plain: string }> {
  await useDaemon(c, daemon);
  const status = await c.cardStatus();
  const plain = await c.gpg([...extra, "--card-status"]);
  assertEquals(plain.code, 0, plain.stderr);
  const colons = await c.gpg([...extra, "--with-colons", "--card-status"]);
  assertEquals(colons.code, 0, colons.stderr);
  return { status, colons: colons.stdout, plain: plain.stdout };
}

/** Asserts every field (and every "created" line) of the two listings is the same. */
function assertSameFields(stock: CardStatus, ours: CardStatus): void {
  const labels = new Set([...stock.fields.keys(), ...ours.fields.keys()]);
  for (const label of labels) {
    assertEquals(
      `${label}: ${ours.fields.get(label) ?? "(missing)"}`,
      `${label}: ${stock.fields.get(label) ?? "(missing)"}`,
    );
  }
  assertEquals([...ours.created], [...stock.created]);
}

/**
 * The daemon's replies to the last `command` of a session log: stock's scdaemon.log
 * (`DBG: chan_N <- LINE`/`-> LINE`) or scd-ts's trace (`N <- LINE`). Read as latin1 so that raw
 * bytes compare equal.
 */
async function lastReply(path: string, command: string): Promise<string[]> {
  const text = new TextDecoder("latin1").decode(await Deno.readFile(path));
  const lines = text.split("\n").flatMap((l) => {
    const m = /(?:DBG: chan_\d+|^\d+) (<-|->) (.*)$/.exec(l);
    return m ? [[m[1]!, m[2]!] as const] : [];
  });
  const start = lines.findLastIndex(([dir, line]) => dir === "<-" && line === command);
  const reply: string[] = [];
  for (const [dir, line] of lines.slice(start + 1)) {
    if (dir !== "->") break;
    reply.push(line);
    if (/^(OK|ERR)( |$)/.test(line)) break;
  }
  return reply;
}

/** LEARN lines only 2.4 sends; scd-ts sends them to both (2.2's gpg and agent ignore them). */
const ONLY_24 = /^S (APPVERSION|CARDTYPE|CARDVERSION|UIF-\d) /;

cardTest("card-status of a fresh card is the same with scd-ts as with stock", async (c) => {
  const stock = await statusWith(c, "stock");
  const ours = await statusWith(c, "scd-ts");
  assertSameFields(stock.status, ours.status);
  assertEquals(ours.colons, stock.colons);
  assertEquals(ours.plain, stock.plain);
  assertEquals(field(ours.status, "Serial number"), c.serial);
  // The Assuan replies behind it, stock's log against scd-ts's trace.
  const stockLog = `${c.home.path}/scdaemon.log`;
  const trace = `${c.home.path}/scd-ts.trace`;
  for (const command of ["LEARN --force", "GETATTR KEY-ATTR", "SERIALNO"]) {
    const theirs = await lastReply(stockLog, command);
    const mine = await lastReply(trace, command);
    assert(theirs.length > 1, `no ${command} in stock's log`);
    assertEquals(GNUPG === "2.2" ? mine.filter((l) => !ONLY_24.test(l)) : mine, theirs);
  }
}, { ignore });

cardTest(
  "card-status with ECC keys on the card is the same with scd-ts as with stock",
  async (c) => {
    // Keys are made with stock (the oracle); then both daemons read the same card.
    await useDaemon(c, "stock");
    await setEccKeyAttributes(c);
    const keys = await generateOnCard(c);
    const stock = await statusWith(c, "stock", ["--with-keygrip"]);
    const ours = await statusWith(c, "scd-ts", ["--with-keygrip"]);
    assertSameFields(stock.status, ours.status);
    assertEquals(ours.colons, stock.colons);
    assertEquals(ours.plain, stock.plain);
    assertEquals(field(ours.status, "Signature key").replaceAll(" ", ""), keys.sign);
    assertMatch(ours.plain, /keygrip \.+: [0-9A-F]{40}/);
  },
  { ignore, needs: CURVE25519 },
);

/**
 * Stock scdaemon is the oracle: the same card, the same GNUPGHOME, the same gpg — once with
 * stock scdaemon and once with scd-ts as `scdaemon-program` — must give the same
 * `gpg --card-status`, field by field (plain and `--with-colons`, with and without keys on
 * the card). Runs when SCD_E2E_DAEMON=scd-ts (the home is then made for scd-ts and switched
 * to stock for the reference run); ignored for the stock-only matrix entry.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { STOCK_SCDAEMON } from "../bed/gnupg.ts";
import { type CardStatus, field } from "./_card_status.ts";
import { type CardContext, cardTest, DAEMON } from "./_fixture.ts";
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

cardTest("card-status of a fresh card is the same with scd-ts as with stock", async (c) => {
  const stock = await statusWith(c, "stock");
  const ours = await statusWith(c, "scd-ts");
  assertSameFields(stock.status, ours.status);
  assertEquals(ours.colons, stock.colons);
  assertEquals(ours.plain, stock.plain);
  assertEquals(field(ours.status, "Serial number"), c.serial);
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
  { ignore },
);

cardTest("gpg-connect-agent 'SCD GETINFO version' answers a version gpg accepts", async (c) => {
  const r = await c.run("gpg-connect-agent", ["SCD GETINFO version", "/bye"]);
  assertMatch(r.stdout, /^D 2\.4\.\d+\nOK\n/);
  // gpg compares it with its own version: no "server is older than us" warning
  const s = await c.gpg(["--card-status"]);
  assertEquals(s.code, 0, s.stderr);
  assertEquals(s.status.filter((l) => l.startsWith("WARNING server_version_mismatch")), []);
  assertEquals(/older than us/.test(s.stderr), false, s.stderr);
}, { ignore });

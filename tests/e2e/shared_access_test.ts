/**
 * The core promise (design.md §1, §2 item 4): while the smartcard daemon sits idle after a
 * `gpg --card-status`, another PC/SC client can use the card. scd-ts holds no handle between
 * operations, so `opensc-tool` on that reader must work (`-a`, and `-n`/`-s`, which connect).
 * Stock scdaemon in its default mode keeps an exclusive handle (docs/stock-observations.md
 * records what happens); this test asserts that observation for stock, so a change in stock's
 * behaviour shows up here.
 *
 * Host only (gnupg 2.2): opensc-tool is installed on the host, whose pcscd the 2.2 bed uses.
 */
import { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { cardTest, DAEMON, GNUPG, READER } from "./_fixture.ts";

/** opensc-tool's number for `reader` (from `opensc-tool -l`). */
async function readerNumber(run: (args: string[]) => Promise<{ stdout: string }>): Promise<string> {
  const list = await run(["-l"]);
  const line = list.stdout.split("\n").find((l) => l.trimEnd().endsWith(READER));
  const number = line?.trim().split(/\s+/)[0];
  if (number === undefined) throw new Error(`Cannot find ${READER} in:\n${list.stdout}`);
  return number;
}

cardTest("opensc-tool reaches the card while the daemon is idle", async (c) => {
  const before = await c.gpg(["--card-status"]);
  assertEquals(before.code, 0, before.stderr);
  const opensc = (args: string[]) => c.run("opensc-tool", args);
  const n = await readerNumber(opensc);
  // -a only reads the ATR pcscd already knows; -n and -s connect to the card.
  const atr = await opensc(["-r", n, "-a"]);
  assertEquals(atr.code, 0, atr.stdout + atr.stderr);
  assertMatch(atr.stdout, /^3b(:[0-9a-f]{2})+$/m);
  const name = await opensc(["-r", n, "-n"]);
  const apdu = await opensc(["-r", n, "-s", "00CA004F00"]);
  if (DAEMON === "scd-ts") {
    assertEquals(name.code, 0, name.stdout + name.stderr);
    assertMatch(name.stdout, new RegExp(`OpenPGP card v3\\.4 \\(FFFE ${c.serial}\\)`));
    assertEquals(apdu.code, 0, apdu.stdout + apdu.stderr);
    assertMatch(apdu.stdout, /SW1=0x90, SW2=0x00/);
  } else {
    // Stock 2.2.40's default mode: the idle daemon keeps the card open exclusively.
    for (const r of [name, apdu]) {
      assertEquals(r.code, 1, r.stdout + r.stderr);
      assertMatch(r.stdout + r.stderr, /Reader in use by another application/);
    }
  }
  // and the daemon still works afterwards
  const after = await c.gpg(["--card-status"]);
  assertEquals(after.code, 0, after.stderr);
}, { ignore: GNUPG !== "2.2" });

/**
 * APDU, LOCK/UNLOCK, RESET and SERIALNO undefined over the real OpenPGP application and the
 * in-process virtual card, driven by the sequence gpg's `--card-edit factory-reset` sends
 * (gpg/gnupg:g10/card-util.c `factory_reset`, call-agent.c `agent_scd_apdu`). Its wrong
 * VERIFYs leave the application selected (a refused VERIFY needs no reset under the strict
 * policy), so the PINs block and TERMINATE DF finds the application.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { toHex, utf8 } from "../../src/util/bytes.ts";
import { ADMIN_PIN, run } from "./_scd_client.ts";
import { ScdFixture, type Session } from "./_scd_fixture.ts";

/** The status word of an APDU reply (its D data is response ‖ SW1 SW2), as hex. */
async function sw(s: Session, hex: string): Promise<string> {
  const { data, lines } = await s.transactData(`APDU ${hex}`);
  if (lines.at(-1) !== "OK" || data.length < 2) {
    throw new Error(`APDU ${hex} failed: ${lines.join(" | ")}`);
  }
  return toHex(data.subarray(data.length - 2));
}

function learnLine(lines: string[], keyword: string): string | undefined {
  return lines.find((l) => l === `S ${keyword}` || l.startsWith(`S ${keyword} `));
}

Deno.test("scd: factory reset through LOCK, RESET --keep-lock, SERIALNO undefined and APDUs", async () => {
  const f = await ScdFixture.open({ serial: 0x5c0000f0 });
  const gpg = await f.connect({ pipe: true });
  const other = await f.connect();
  // Give the card a cardholder name. Not with a raw VERIFY PW3 and a raw PUT DATA 5B: under the
  // strict policy the VERIFY's transaction ends with a card reset (issue 17 L7).
  assertEquals(await sw(gpg, `00200083 08 ${toHex(utf8(ADMIN_PIN))}`), "9000");
  assertEquals(await sw(gpg, "00A4040006D27600012401"), "9000");
  assertEquals(await sw(gpg, `00DA005B 09 ${toHex(utf8("Doe<<Jane"))}`), "6982");
  const named = await run(gpg, "SETATTR DISP-NAME Doe<<Jane", { NEEDPIN: [ADMIN_PIN] });
  assertEquals(named.err, undefined, named.end);
  assertEquals(await gpg.transact("RESET"), ["OK"]); // the app must not serve a stale cache
  assertEquals(
    learnLine(await gpg.transact("LEARN --force"), "DISP-NAME"),
    "S DISP-NAME Doe<<Jane",
  );

  assertEquals(await gpg.transact("LOCK --wait"), ["OK"]);
  assertEquals(await other.transact("SERIALNO"), ["ERR 100663469 Locked <SCD>"]);
  assertEquals(await gpg.transact("RESET --keep-lock"), ["OK"]);
  assertEquals((await gpg.transact("SERIALNO undefined")).at(-1), "OK");
  assertEquals(await sw(gpg, "00A4040006D27600012401"), "9000");
  const block = "40".repeat(32);
  for (const p2 of ["81", "83"]) {
    const sws = [];
    for (let i = 0; i < 4; i++) sws.push(await sw(gpg, `002000${p2}20${block}`));
    assertEquals(sws.at(-1), "6983", `PW ${p2} blocked`);
  }
  assertEquals(await sw(gpg, "00e60000"), "9000");
  assertEquals(await sw(gpg, "00440000"), "9000");
  assertEquals(await gpg.transact("RESET --keep-lock"), ["OK"]);
  assertEquals((await gpg.transact("SERIALNO")).at(-1), "OK");
  assertEquals(await gpg.transact("UNLOCK"), ["OK"]);

  const learned = await other.transact("LEARN --force");
  assertEquals(learnLine(learned, "DISP-NAME"), "S DISP-NAME");
  assertEquals(learnLine(learned, "CHV-STATUS"), "S CHV-STATUS +1+127+127+127+3+0+3");
  await gpg.close();
  await other.close();
  await f.close();
});

Deno.test("scd: RANDOM and APDU --atr on the virtual card", async () => {
  const f = await ScdFixture.open();
  const s = await f.connect();
  const random = await s.transact("RANDOM 16");
  assertEquals(random.at(-1), "OK");
  const atr = await s.transact("APDU --atr");
  assertEquals([atr[0]!.startsWith("S CARD-ATR 3B"), atr.at(-1)], [true, "OK"]);
  await s.close();
  await f.close();
});

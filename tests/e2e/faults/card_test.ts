/**
 * Fault matrix F4 and F10 (docs/reliability.md): the card leaves the reader. F4 pulls and
 * reinserts the same card, between and during operations; F10 swaps it for a different card
 * (same keys, another serial) and back. scd-ts drops the card's PIN cache on both, so the next
 * signature asks once; and it must never present card A's cached PIN to card B: card B's own
 * APDU log may show a VERIFY with a PIN only when the person was asked for card B.
 */
import { startVcard, type Vcard } from "../../bed/vcard.ts";
import { type CardContext, SLOT, USER_PIN } from "../_fixture.ts";
import { client, delay, faultTest, getpins } from "./_faults.ts";
import { duringSignature, gpgReason, verifies, withPin } from "./_inflight.ts";

/** Pulls the card, waits `outMs`, puts it back and waits until the reader reports it. */
async function pullAndReinsert(c: CardContext, outMs: number): Promise<string> {
  await c.card.control({ cmd: "remove" });
  await delay(outMs);
  await c.card.control({ cmd: "insert" });
  const r = await client(c, "present", "10000");
  return r.error === undefined ? "reinserted" : `present? ${String(r.error).slice(0, 80)}`;
}

faultTest("F4a", "the card is pulled and reinserted between two operations", async (f) => {
  const note = await pullAndReinsert(f.c, 1500);
  return { prompts: 1, notes: [note] };
});

faultTest("F4b", "the card is pulled and reinserted while a signature waits on it", async (f) => {
  const hit = await duringSignature(f.c, f.keys, () => pullAndReinsert(f.c, 500));
  return { prompts: 1, notes: [hit.note, hit.actNote] };
});

/** The serial `gpg --card-status` shows (8 hex digits), or the failure. */
async function shownSerial(c: CardContext): Promise<string> {
  const r = await c.gpg(["--card-status"]);
  if (r.code !== 0) return `card-status failed: ${gpgReason(r.stderr)}`;
  const m = /^Serial number \.+: ([0-9A-F]{8})$/m.exec(r.stdout);
  return m?.[1] ?? "no serial";
}

/** Waits (up to 10 s) until card-status shows `serial`; returns what it showed last. */
async function waitForSerial(c: CardContext, serial: string): Promise<string> {
  let shown = "";
  for (let i = 0; i < 20; i++) {
    shown = await shownSerial(c);
    if (shown === serial) break;
    await delay(500);
  }
  return shown;
}

/**
 * A person swapping cards takes a moment: wait until pcscd saw the reader empty (vpcd cards
 * share one ATR, so a swap pcscd never saw would look like no change at all).
 */
async function swapPause(c: CardContext): Promise<void> {
  await client(c, "absent", "10000");
  await delay(1000);
}

/** Plugs a card with `statePath`/`serial` into this test's slot. */
function plug(c: CardContext, statePath: string, serial: string): Promise<Vcard> {
  return startVcard({ port: c.bed.vpcdPort(SLOT), statePath, serial });
}

/** Card B: asks the agent for a signature (SCD PKSIGN); returns what card B saw. */
async function signOnCardB(c: CardContext, b: Vcard): Promise<string[]> {
  await c.pins([{ pin: USER_PIN }]);
  const hash = "A5".repeat(32);
  const r = await c.run("gpg-connect-agent", [
    `SCD SETDATA ${hash}`,
    "SCD PKSIGN --hash=sha256 OPENPGP.1",
    "/bye",
  ]);
  const signed = /^D /m.test(r.stdout) && !/^ERR /m.test(r.stdout);
  const prompts = await getpins(c);
  const pinVerifies = withPin(await verifies(b)).length;
  if (pinVerifies > 0 && prompts === 0) {
    throw new Error(`card B got ${pinVerifies} VERIFY with a PIN, but nobody was asked for it`);
  }
  return [`B:prompts=${prompts},verify=${pinVerifies},signed=${signed}`];
}

faultTest("F10", "the card is swapped for another card and back between operations", async (f) => {
  const { c } = f;
  const aState = c.card.statePath;
  const bState = `${c.home.path}/card-b.json`;
  const bSerial = `5CB${String(f.round).padStart(5, "0")}`;
  await Deno.copyFile(aState, bState);
  await c.card.stop();
  await swapPause(c);
  const notes: string[] = [];
  let b: Vcard | undefined;
  try {
    b = await plug(c, bState, bSerial);
    const shown = await waitForSerial(c, bSerial);
    if (shown !== bSerial) throw new Error(`card-status shows ${shown}, not card B ${bSerial}`);
    notes.push(...await signOnCardB(c, b));
  } finally {
    await b?.stop();
    await swapPause(c);
    // card A back, same process object for the fixture's teardown and later rounds
    (c as { card: Vcard }).card = await plug(c, aState, c.serial);
  }
  const back = await waitForSerial(c, c.serial);
  if (back !== c.serial) throw new Error(`card-status shows ${back}, not card A ${c.serial}`);
  // gpg-agent pointed the key stubs at card B when it learned B (same keys); as a user would,
  // let it learn card A again, or it asks for card B ("Please insert the card with serial …")
  await c.run("gpg-connect-agent", ["LEARN --force", "/bye"]);
  return { prompts: 1, notes };
}, {
  // the card process plugged back in is this test's to end (the fixture ends the first one)
  teardown: ({ c }) => c.card.stop(),
});

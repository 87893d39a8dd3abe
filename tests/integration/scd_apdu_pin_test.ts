/**
 * The raw `APDU` command under the PIN policy (issue 17, L7), over the real OpenPGP
 * application and the in-process virtual card: a VERIFY sent through `APDU` must not leave
 * the card verified for the next PC/SC client under `strict`, and does under `session` (the
 * documented risk, as stock). The other client is a card operation of its own on the same
 * reader, which waits for scd-ts's transaction (a burst hold included) as pcscd would.
 */
import {
  deepStrictEqual as assertEquals,
  notStrictEqual as assertNotEqual,
} from "node:assert/strict";
import type { InProcessCard } from "../../src/pcsc/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import { run, scdErr } from "./_scd_client.ts";
import { ScdFixture } from "./_scd_fixture.ts";

const SELECT = "00A4040006D27600012401";
/** VERIFY PW1 82 with the factory user PIN 123456. */
const VERIFY_82 = "0020008206313233343536";
/** VERIFY PW1 82 without data: the status query (OpenPGP card 3.4 §7.2.2). */
const STATUS_82 = "0020008200";
/** PSO:DECIPHER of a too-short cryptogram: refused for want of PW1 82 before it is read. */
const DECIPHER = "002A808605001122334400";

/** A daemon with `pin-policy` set as a user sets it; `resettable: false` hides `reset()`. */
async function daemon(policy: "strict" | "session", options: { resettable?: boolean } = {}) {
  const f = await ScdFixture.open({}, {
    env: { SCD_TS_PIN_POLICY: policy },
    inProcess: (card): InProcessCard =>
      options.resettable === false
        ? { atr: card.atr, transmit: (apdu) => card.transmit(apdu) }
        : card,
  });
  return {
    /** Another PC/SC client: its status words for `apdus`. */
    other: (...apdus: string[]) => f.other(...apdus),
    session: () => f.connect(),
    close: () => f.close(),
  };
}

Deno.test("strict: a VERIFY through APDU does not leave the card verified for another client", async () => {
  const d = await daemon("strict");
  const s = await d.session();
  try {
    assertEquals(toHex((await run(s, `APDU ${SELECT}`)).data), "9000");
    assertEquals(toHex((await run(s, `APDU ${VERIFY_82}`)).data), "9000");
    // the other client, with or without a SELECT of its own
    const [direct] = await d.other(STATUS_82);
    assertNotEqual(direct, "9000", "verified without a SELECT");
    const [select, status, decipher] = await d.other(SELECT, STATUS_82, DECIPHER);
    assertEquals(select, "9000");
    assertEquals(status === "6982" || /^63C/.test(status!), true, `status query ${status}`);
    assertEquals(decipher, "6982");
  } finally {
    await s.close();
    await d.close();
  }
});

Deno.test("session: a VERIFY through APDU keeps the card verified (the documented risk)", async () => {
  const d = await daemon("session");
  const s = await d.session();
  try {
    await run(s, `APDU ${SELECT}`);
    assertEquals(toHex((await run(s, `APDU ${VERIFY_82}`)).data), "9000");
    assertEquals(await d.other(STATUS_82), ["9000"]);
  } finally {
    await s.close();
    await d.close();
  }
});

Deno.test("strict: a reader that cannot reset refuses a raw VERIFY before sending it", async () => {
  const d = await daemon("strict", { resettable: false });
  const s = await d.session();
  try {
    await run(s, `APDU ${SELECT}`);
    const r = await run(s, `APDU ${VERIFY_82}`);
    assertEquals(r.err, scdErr(60), r.end); // NOT_SUPPORTED
    assertEquals(await d.other(STATUS_82), ["63C3"]); // never sent: no try spent
    // commands without a PIN still go through
    assertEquals(toHex((await run(s, `APDU ${STATUS_82}`)).data), "63C3");
  } finally {
    await s.close();
    await d.close();
  }
});

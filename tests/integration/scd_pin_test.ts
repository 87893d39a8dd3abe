/**
 * PIN handling of the scd layer over the real OpenPGP application and the in-process
 * virtual card: the PIN cache (one prompt per card connection, shared by sessions, dropped
 * on a bad PIN, a PIN change or --clear, off with SCD_TS_PIN_TTL=0), the strict policy
 * (the card is not left verified after an operation), wrong and blocked PINs (one VERIFY,
 * one decrement, no retry), the touch prompt for UIF keys, and redaction in the trace.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { MemoryTrace } from "../../src/assuan/mod.ts";
import { encodeDigestInfo } from "../../src/formats/mod.ts";
import { toHex } from "../../src/util/bytes.ts";
import {
  ADMIN_PIN,
  connect,
  genkey,
  keygripOf,
  run,
  scdErr,
  USER_PIN,
  withCard,
} from "./_scd_client.ts";
import { ScdFixture, type Session } from "./_scd_fixture.ts";

const BAD_PIN = scdErr(87);
const PIN_BLOCKED = scdErr(130);
const DIGEST_INFO = toHex(encodeDigestInfo("sha256", new Uint8Array(32).fill(7)));
/** SELECT OpenPGP, then PSO:CDS without any VERIFY: what another PC/SC client could try. */
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x06, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);
const PSO_CDS = Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x20, ...new Uint8Array(32).fill(1), 0x00);

async function sign(s: Session, grip: string, pin = USER_PIN) {
  await run(s, `SETDATA ${DIGEST_INFO}`);
  return await run(s, `PKSIGN --hash=sha256 ${grip}`, { NEEDPIN: [pin] });
}

async function retries(s: Session): Promise<string> {
  const r = await run(s, "GETATTR CHV-STATUS");
  return r.status[0]!.split("+").slice(5).join(" ");
}

/** A daemon with `pin-policy` set as a user sets it. */
function daemon(pinPolicy: "strict" | "session"): Promise<ScdFixture> {
  return ScdFixture.open({}, { env: { SCD_TS_PIN_POLICY: pinPolicy } });
}

Deno.test("PIN cache: prompts as stock — once per card connection and verification, across sessions", async () => {
  await withCard(async (s, f) => {
    await genkey(s, 1, "ed25519");
    await genkey(s, 2, "cv25519");
    const grip = await keygripOf(s, 1);
    const decrypt = async (session: Session) => {
      await run(session, `SETDATA 40${"11".repeat(32)}`);
      return await run(session, "PKDECRYPT OPENPGP.2", { NEEDPIN: [USER_PIN] });
    };
    assertEquals((await sign(s, grip)).inquiries.length, 1);
    assertEquals((await sign(s, grip)).inquiries.length, 0);
    // gpg-agent's second connection (socket) to the same card
    const other = await connect(f);
    assertEquals((await sign(other, grip)).inquiries.length, 0);
    // a signature verified CHV1 only: stock asks again for a decryption (CHV2) …
    const dec = await decrypt(other);
    assertEquals([dec.err, dec.inquiries.length], [undefined, 1]);
    assertEquals((await decrypt(s)).inquiries.length, 0);
    await other.close();
    // every operation still verified the PIN on the card: VERIFY went out each time
    assert((f.card.apduLog.byIns()["20"]?.count ?? 0) >= 5);
  });
  // … while a decryption (verify_chv2) also covers the signatures that follow
  await withCard(async (s) => {
    await genkey(s, 1, "ed25519");
    await genkey(s, 2, "cv25519");
    await run(s, `SETDATA 40${"11".repeat(32)}`);
    assertEquals(
      (await run(s, "PKDECRYPT OPENPGP.2", { NEEDPIN: [USER_PIN] })).inquiries.length,
      1,
    );
    assertEquals((await sign(s, await keygripOf(s, 1))).inquiries.length, 0);
  });
});

Deno.test("SCD_TS_PIN_TTL=0 turns the cache off: every signature asks", async () => {
  Deno.env.set("SCD_TS_PIN_TTL", "0");
  try {
    await withCard(async (s) => {
      await genkey(s, 1, "ed25519");
      const grip = await keygripOf(s, 1);
      assertEquals((await sign(s, grip)).inquiries.length, 1);
      assertEquals((await sign(s, grip)).inquiries.length, 1);
    });
  } finally {
    Deno.env.delete("SCD_TS_PIN_TTL");
  }
});

Deno.test("strict policy: after PKSIGN another client's PSO:CDS without VERIFY gets 6982", async () => {
  const d = await daemon("strict");
  const s = await connect(d);
  await genkey(s, 1, "ed25519");
  const r = await sign(s, await keygripOf(s, 1));
  assertEquals(r.err, undefined, r.end);
  // the OpenPGP application is still selected: no SELECT needed (it would clear the status)
  assertEquals(await d.other(PSO_CDS), ["6982"]);
  assertEquals(await d.other(SELECT, PSO_CDS), ["9000", "6982"]);
  await s.close();
  await d.close();
});

Deno.test("session policy keeps the card verified: the other client's PSO:CDS succeeds (the documented risk)", async () => {
  const d = await daemon("session");
  const s = await connect(d);
  await genkey(s, 1, "ed25519");
  await sign(s, await keygripOf(s, 1));
  assertEquals(await d.other(PSO_CDS), ["9000"]);
  await s.close();
  await d.close();
});

Deno.test("a wrong PIN: BAD_PIN, one VERIFY, one decrement; the next attempt warns and asks again", async () => {
  await withCard(async (s, f) => {
    await genkey(s, 1, "ed25519");
    const grip = await keygripOf(s, 1);
    await f.idle(); // the strict reset at the end of a burst hold counts VERIFYs too
    f.card.apduLog.reset();
    const bad = await sign(s, grip, "000000");
    assertEquals(bad.err, BAD_PIN);
    assertEquals(f.card.apduLog.byIns()["20"]?.count, 1);
    assertEquals(await retries(s), "2 0 3");
    const good = await sign(s, grip);
    assertEquals(good.err, undefined);
    assert(good.inquiries[0]!.includes("Remaining attempts: 2"), good.inquiries[0]);
    assertEquals(await retries(s), "3 0 3");
  });
});

Deno.test("a cached PIN the card rejects (changed elsewhere) costs one try and is never sent again", async () => {
  await withCard(async (s, f) => {
    await genkey(s, 1, "ed25519");
    const grip = await keygripOf(s, 1);
    await sign(s, grip); // cached now
    // another program changes the PIN behind our back: CHANGE REFERENCE DATA 81
    const change = Uint8Array.of(
      0x00,
      0x24,
      0x00,
      0x81,
      12,
      ...new TextEncoder().encode("123456654321"),
    );
    assertEquals(await f.other(SELECT, change), ["9000", "9000"]);
    const stale = await sign(s, grip);
    assertEquals([stale.err, stale.inquiries.length], [BAD_PIN, 0]);
    assertEquals(await retries(s), "2 0 3");
    await f.idle();
    f.card.apduLog.reset();
    const fresh = await sign(s, grip, "654321");
    assertEquals([fresh.err, fresh.inquiries.length], [undefined, 1]);
    await f.idle(); // the burst hold ends with the strict reset
    assertEquals(f.card.apduLog.byIns()["20"]?.count, 3); // the VERIFY, the strict reset, its check
  });
});

Deno.test("a blocked PIN is reported as PIN_BLOCKED with one VERIFY per attempt, never retried", async () => {
  await withCard(async (s, f) => {
    await genkey(s, 1, "ed25519");
    const grip = await keygripOf(s, 1);
    for (const left of ["2", "1", "0"]) {
      assertEquals((await sign(s, grip, "000000")).err, BAD_PIN);
      assertEquals((await retries(s)).split(" ")[0], left);
    }
    f.card.apduLog.reset();
    const blocked = await sign(s, grip);
    assertEquals(blocked.err, PIN_BLOCKED, blocked.end);
    assert((f.card.apduLog.byIns()["20"]?.count ?? 0) <= 1);
    assertEquals(f.card.apduLog.byIns()["2A"], undefined);
  });
});

Deno.test("forced signature PIN (CHV-STATUS-1 0): every PKSIGN asks, decryption still uses the cache", async () => {
  await withCard(async (s) => {
    await genkey(s, 1, "ed25519");
    const set = await run(s, "SETATTR CHV-STATUS-1 %00", { NEEDPIN: [ADMIN_PIN] });
    assertEquals(set.err, undefined, set.end);
    const grip = await keygripOf(s, 1);
    assertEquals((await sign(s, grip)).inquiries.length, 1);
    assertEquals((await sign(s, grip)).inquiries.length, 1);
  });
});

Deno.test("PASSWD drops the cached PIN: signing asks for the new one; --clear forgets it too", async () => {
  await withCard(async (s) => {
    await genkey(s, 1, "ed25519");
    const grip = await keygripOf(s, 1);
    await sign(s, grip);
    const p = await run(s, "PASSWD OPENPGP.1", { NEEDPIN: [USER_PIN, "654321"] });
    assertEquals(p.err, undefined, p.end);
    assertEquals(p.inquiries.map((i) => i.split("%0A")[0]), [
      "NEEDPIN ||Please enter the PIN",
      "NEEDPIN |N|New PIN",
    ]);
    const after = await sign(s, grip, "654321");
    assertEquals([after.err, after.inquiries.length], [undefined, 1]);
    assertEquals((await sign(s, grip)).inquiries.length, 0);
    assertEquals((await run(s, "PASSWD --clear 1")).err, undefined);
    assertEquals((await sign(s, grip, "654321")).inquiries.length, 1);
    assertEquals(
      (await run(s, "PASSWD --clear --reset 1")).end,
      `ERR ${scdErr(124)} Unsupported operation <SCD> - --clear used with other options`,
    );
    assertEquals(
      (await run(s, "PASSWD")).end,
      `ERR ${scdErr(280)} IPC parameter error <SCD> - no CHV number given`,
    );
  });
});

Deno.test("CHECKPIN checks the user PIN once (then cached); [CHV3] always asks for the Admin PIN", async () => {
  await withCard(async (s, f) => {
    await genkey(s, 1, "ed25519");
    const serial = f.card.serial.toString(16).padStart(8, "0").toUpperCase();
    const aid = `D276000124010304FFFE${serial}0000`;
    const c = await run(s, `CHECKPIN ${aid}`, { NEEDPIN: [USER_PIN] });
    assertEquals([c.err, c.inquiries.length], [undefined, 1]);
    assertEquals((await sign(s, await keygripOf(s, 1))).inquiries.length, 0);
    const a1 = await run(s, `CHECKPIN ${aid}[CHV3]`, { NEEDPIN: [ADMIN_PIN] });
    const a2 = await run(s, `CHECKPIN ${aid}[CHV3]`, { NEEDPIN: [ADMIN_PIN] });
    assertEquals([a1.err, a1.inquiries.length, a2.err, a2.inquiries.length], [
      undefined,
      1,
      undefined,
      1,
    ]);
    assertEquals((await run(s, "CHECKPIN")).err, scdErr(55));
  });
});

Deno.test("UIF on: after the PIN, POPUPPINPADPROMPT --ack, then DISMISSPINPADPROMPT, then the signature", async () => {
  await withCard(async (s) => {
    await genkey(s, 1, "nistp256");
    const u = await run(s, "SETATTR UIF-1 %01+", { NEEDPIN: [ADMIN_PIN] });
    assertEquals(u.err, undefined, u.end);
    const r = await sign(s, await keygripOf(s, 1));
    assertEquals(r.err, undefined, r.end);
    assertEquals(r.inquiries.map((i) => i.split(" ")[0] + (i.includes("--ack") ? " --ack" : "")), [
      "NEEDPIN",
      "POPUPPINPADPROMPT --ack",
      "DISMISSPINPADPROMPT",
    ]);
    assertEquals(r.lines.slice(-2).map((l) => l.slice(0, 2)), ["D ", "OK"]);
    // no UIF on the decryption key: no prompt there
    await genkey(s, 2, "nistp256");
    await run(s, `SETDATA 04${"00".repeat(64)}`);
    const d = await run(s, "PKDECRYPT OPENPGP.2", { NEEDPIN: [USER_PIN] });
    assertEquals(d.inquiries.filter((i) => i.startsWith("POPUP")), []);
  });
});

Deno.test("the trace shows NEEDPIN but never the PIN", async () => {
  const f = await ScdFixture.open();
  const trace = new MemoryTrace();
  const s = await f.connect({ trace });
  await run(s, "SERIALNO");
  await genkey(s, 1, "ed25519");
  await sign(s, await keygripOf(s, 1), "864213");
  await s.close();
  await f.close();
  const text = trace.lines.join("\n");
  assert(text.includes("INQUIRE NEEDPIN"), text);
  for (
    const secret of [
      "864213",
      "383634323133",
      ADMIN_PIN,
      toHex(new TextEncoder().encode(ADMIN_PIN)),
    ]
  ) {
    assert(!text.toUpperCase().includes(secret.toUpperCase()), `${secret} in the trace`);
  }
});

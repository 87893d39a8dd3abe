/**
 * scd-ts's host side (src/openpgp/) on the corrected card profiles of issue 19, in process:
 * the YubiKey 5's extended-length path and 80-byte C5, the strict policy's card-reset fallback
 * on firmware 5.4, and PIN-valid-once cards asking for every signature as stock does.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { constants, createPublicKey, publicEncrypt } from "node:crypto";
import { parsePublicKey, type PublicKey } from "../../src/formats/public_key.ts";
import { type CardConnector, OpenPgpApplication } from "../../src/openpgp/application.ts";
import type { CardChannel } from "../../src/pcsc/channel.ts";
import { concat } from "../../src/util/bytes.ts";
import { VirtualCard } from "../../src/virtual/card.ts";
import { VirtualChannel } from "../support/virtual_channel.ts";
import { ScriptedPins, StatusRecorder } from "./_openpgp_fixture.ts";

/** A reader over an in-process card of `profile` that can reset it (SCARD_RESET_CARD). */
async function open(profile: string) {
  const card = await VirtualCard.open({ autoTouchMs: 0, profile });
  const inner = new VirtualChannel(card);
  const connect: CardConnector = async (fn) => {
    let reset = false;
    const channel: CardChannel = {
      reader: inner.reader,
      atr: inner.atr,
      transmit: (apdu, signal) => inner.transmit(apdu, signal),
      resetOnEnd: () => void (reset = true),
    };
    try {
      return await fn(channel);
    } finally {
      if (reset) card.reset();
    }
  };
  const app = await OpenPgpApplication.open(connect);
  const pins = new ScriptedPins();
  const ctx = { pin: pins, status: new StatusRecorder() };
  return { card, app, pins, ctx };
}

type Opened = Awaited<ReturnType<typeof open>>;

async function generate(o: Opened, slot: 1 | 2 | 3, algo: string): Promise<PublicKey> {
  await o.app.genKey(
    { keyRef: `OPENPGP.${slot}`, algo, force: true, timestamp: 1700000000 },
    o.ctx,
  );
  return parsePublicKey(await o.app.readKey({ keyRef: `OPENPGP.${slot}` }, o.ctx));
}

/** Another PC/SC client: SELECT, then a PSO:CDS without VERIFY; its status word. */
async function otherClientSign(card: VirtualCard): Promise<number> {
  await card.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 6, 0xd2, 0x76, 0, 1, 0x24, 1));
  const r = await card.transmit(concat(Uint8Array.of(0, 0x2a, 0x9e, 0x9a, 32), new Uint8Array(32)));
  return (r[r.length - 2]! << 8) | r[r.length - 1]!;
}

function rsaSpki(pk: PublicKey): ReturnType<typeof createPublicKey> {
  if (pk.type !== "rsa") throw new Error("expected RSA");
  const b64 = (b: Uint8Array) =>
    btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  return createPublicKey({ key: { kty: "RSA", n: b64(pk.n), e: b64(pk.e) }, format: "jwk" });
}

Deno.test("yubikey5: RSA-2048 public key, decipher and key import go out as extended APDUs", async () => {
  const o = await open("yubikey5");
  o.card.apduLog.reset();
  const pk = await generate(o, 2, "rsa2048");
  const log = o.card.apduLog.byIns();
  // GENERATE with an extended Le of 270 (gnupg determine_rsa_response), not Le 256 + 61xx
  assert((log["47"]?.extended ?? 0) >= 1, JSON.stringify(log));
  // (6E itself, 0x137 bytes with the fourth slot, still comes short + 61xx: stock reads it
  // the same way, gnupg get_cached_data exmode 0 for 6E)
  // every GENERATE / public key read (all slots are RSA-2048 from the factory) is extended
  assertEquals(log["47"]?.extended, log["47"]?.count, JSON.stringify(log));
  const secret = new Uint8Array(32).fill(7);
  const cipher = publicEncrypt(
    { key: rsaSpki(pk), padding: constants.RSA_PKCS1_PADDING },
    secret,
  );
  o.card.apduLog.reset();
  const out = await o.app.decipher({ keyRef: "OPENPGP.2", data: new Uint8Array(cipher) }, o.ctx);
  assertEquals(out.plaintext.subarray(-32), secret);
  assertEquals(o.card.apduLog.byIns()["2A"]?.extended, 1, "257 bytes of PSO:DECIPHER: extended");
});

Deno.test("yubikey5: the 80-byte C5/C6, 16-byte CD and DE with 81 parse as three slots", async () => {
  const o = await open("yubikey5");
  await generate(o, 1, "ed25519");
  const status = new StatusRecorder();
  await o.app.learn({ force: true }, { ...o.ctx, status });
  const fprs = status.of("KEY-FPR");
  assertEquals(fprs.length, 1, fprs.join("\n"));
  assert(fprs[0]!.startsWith("KEY-FPR 1 "), fprs[0]);
  assertEquals(status.of("KEY-TIME").map((l) => l.split(" ").slice(0, 3).join(" ")), [
    "KEY-TIME 1 1700000000",
  ]);
});

Deno.test("yubikey5-fw54: strict policy falls back to the card reset; another client gets 6982", async () => {
  const o = await open("yubikey5-fw54");
  o.card.apduLog.reset();
  await generate(o, 1, "ed25519"); // the Admin PIN's VERIFY FF 83 is refused: 6A80
  const verifies = o.card.apduLog.verifies();
  assertEquals(verifies.find((v) => v.p1 === "FF")?.sw, "6A80", JSON.stringify(verifies));
  assertEquals(o.card.apduLog.resets(), 1, "the card was reset at the end of the transaction");
  // remembered: a signature goes straight to the reset, no VERIFY FF wasted
  o.card.apduLog.reset();
  await o.app.sign({ keyRef: "OPENPGP.1", hash: "sha256", data: new Uint8Array(32) }, o.ctx);
  assertEquals(o.card.apduLog.verifies().filter((v) => v.p1 === "FF"), []);
  assertEquals(o.card.apduLog.resets(), 1);
  assertEquals(await otherClientSign(o.card), 0x6982);
});

Deno.test("yubikey5: strict policy clears with VERIFY FF, no card reset", async () => {
  const o = await open("yubikey5");
  await generate(o, 1, "ed25519");
  o.card.apduLog.reset();
  await o.app.sign({ keyRef: "OPENPGP.1", hash: "sha256", data: new Uint8Array(32) }, o.ctx);
  assertEquals(o.card.apduLog.resets(), 0);
  assertEquals(await otherClientSign(o.card), 0x6982);
});

Deno.test("PIN valid once (smartpgp, nitrokey-pro2): every signature asks, as stock does", async () => {
  for (const profile of ["smartpgp", "nitrokey-pro2"]) {
    const o = await open(profile);
    await generate(o, 1, profile === "smartpgp" ? "rsa2048" : "nistp256");
    o.pins.requests.length = 0;
    for (let i = 0; i < 2; i++) {
      await o.app.sign({ keyRef: "OPENPGP.1", hash: "sha256", data: new Uint8Array(32) }, o.ctx);
    }
    const asked = o.pins.requests.filter((r) => r.kind === "user").length;
    // gnupg scd/app-openpgp.c do_sign: force_chv1 → verify_a_chv for every signature and
    // cache_pin(…, NULL) after it: the PIN is asked for again (docs/pin-policy.md)
    assertEquals(asked, 2, profile);
    assertEquals(await otherClientSign(o.card), 0x6982, profile);
  }
});

/**
 * The strict PIN policy on cards that do and do not honour VERIFY P1=FF (src/openpgp/
 * pin_reset.ts), on the in-process virtual card: after every operation another client's
 * PSO:CDS / PSO:DECIPHER without VERIFY gets 6982, whichever way the card was cleared.
 * A card that refuses P1=FF, or answers it 9000 and stays verified, is the virtual card
 * behind a channel that answers P1=FF itself; the fallback is the reader's card reset
 * (`resetOnEnd`, SCARD_RESET_CARD under PC/SC), here the virtual card's warm reset.
 */

import { deepStrictEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { x25519 } from "@noble/curves/ed25519.js";
import type { PinProvider } from "../../src/app/pin.ts";
import { CardStatusError } from "../../src/app/errors.ts";
import type { CardChannel } from "../../src/pcsc/channel.ts";
import { type CardConnector, OpenPgpApplication } from "../../src/openpgp/application.ts";
import { parsePublicKey } from "../../src/formats/public_key.ts";
import { concat, utf8 } from "../../src/util/bytes.ts";
import { VirtualCard } from "../../src/virtual/card.ts";
import { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";
import { VirtualChannel } from "../support/virtual_channel.ts";
import { StatusRecorder } from "./_openpgp_fixture.ts";

/** How the card under test answers VERIFY P1=FF. */
type FfBehaviour = "spec" | "refused" | "ignored";

/** A reader over the virtual card: counts resets; `ff` decides who answers P1=FF. */
class Reader {
  readonly card: VirtualCard;
  readonly inner: VirtualChannel;
  ff: FfBehaviour = "spec";
  canReset = true;
  resets = 0;
  /** Every VERIFY sent, as "P1 P2 Lc" hex (PIN bodies left out). */
  verifies: string[] = [];

  constructor(card: VirtualCard) {
    this.card = card;
    this.inner = new VirtualChannel(card);
  }

  connect: CardConnector = async (fn) => {
    let reset = false;
    const channel: CardChannel = {
      reader: this.inner.reader,
      atr: this.inner.atr,
      transmit: (apdu) => this.#transmit(apdu),
      ...(this.canReset ? { resetOnEnd: () => void (reset = true) } : {}),
    };
    try {
      return await fn(channel);
    } finally {
      if (reset) {
        this.resets++;
        this.card.reset();
      }
    }
  };

  #transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (apdu[1] === 0x20) {
      this.verifies.push([apdu[2], apdu[3], apdu.length > 4 ? apdu[4] : 0].map(h).join(" "));
      if (apdu[2] === 0xff && this.ff === "refused") return Promise.resolve(SW_6B00);
      if (apdu[2] === 0xff && this.ff === "ignored") return Promise.resolve(SW_9000);
    }
    return this.inner.transmit(apdu);
  }

  /** Another PC/SC client: SELECT, then the PSO with no VERIFY; returns its status word. */
  async otherClient(pso: Uint8Array): Promise<string> {
    await this.inner.transmit(SELECT);
    const r = await this.inner.transmit(pso);
    return r.slice(-2).reduce((s, b) => s + h(b), "");
  }
}

const h = (b: number | undefined) => (b ?? 0).toString(16).toUpperCase().padStart(2, "0");
const SW_6B00 = Uint8Array.of(0x6b, 0x00);
const SW_9000 = Uint8Array.of(0x90, 0x00);
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 6, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01, 0x00);
const OTHER_CDS = Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x20, ...new Uint8Array(32), 0x00);

const PINS: PinProvider = {
  get: (request) => Promise.resolve(utf8(request.kind === "admin" ? ADMIN_PIN : USER_PIN)),
  canAnswer: () => true,
};
const SIGN = { keyRef: "OPENPGP.1", hash: "sha256" as const, data: new Uint8Array(32) };

let serial = 0x70;
async function setup(ff: FfBehaviour, options: { holdMs?: number } = {}) {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: serial++ }));
  const app = await OpenPgpApplication.open(reader.connect, options);
  const ctx = { pin: PINS, status: new StatusRecorder() };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  await app.genKey({ keyRef: "OPENPGP.2", algo: "cv25519", force: true, timestamp: 1 }, ctx);
  await app.release();
  reader.ff = ff;
  reader.resets = 0;
  reader.verifies = [];
  return { reader, app, ctx };
}

/** An ECDH decryption with key 2 through the application (must succeed: PIN 82 verified). */
async function decrypt(app: OpenPgpApplication, ctx: { pin: PinProvider; status: StatusRecorder }) {
  const key = parsePublicKey(await app.readKey({ keyRef: "OPENPGP.2" }, ctx));
  if (key.type !== "ecc") throw new Error("expected the cv25519 key in slot 2");
  const eph = x25519.utils.randomSecretKey();
  const r = await app.decipher(
    { keyRef: "OPENPGP.2", data: concat(Uint8Array.of(0x40), x25519.getPublicKey(eph)) },
    ctx,
  );
  assertEquals(r.plaintext.slice(1), x25519.getSharedSecret(eph, key.q.subarray(1)));
}

/** Another client's DECIPHER with a valid point, no VERIFY. */
function otherDecipher(): Uint8Array {
  const point = x25519.getPublicKey(x25519.utils.randomSecretKey());
  const doA6 = Uint8Array.of(0xa6, 0x24, 0x7f, 0x49, 0x22, 0x86, 0x20, ...point);
  return Uint8Array.of(0x00, 0x2a, 0x80, 0x86, doA6.length, ...doA6, 0x00);
}

Deno.test("strict, VERIFY FF works: reset and a status query per PIN, no card reset", async () => {
  const { reader, app, ctx } = await setup("spec");
  await app.sign(SIGN, ctx);
  assertEquals(reader.verifies, ["00 81 06", "FF 81 00", "00 81 00"]);
  assertEquals(reader.resets, 0);
  assertEquals(await reader.otherClient(OTHER_CDS), "6982");
  reader.verifies = [];
  await decrypt(app, ctx);
  assertEquals(reader.verifies, ["00 82 06", "FF 82 00", "00 82 00"]);
  assertEquals(reader.resets, 0);
  assertEquals(await reader.otherClient(otherDecipher()), "6982");
});

Deno.test("strict, VERIFY FF refused: the card is reset, and next time at once", async () => {
  const { reader, app, ctx } = await setup("refused");
  await app.sign(SIGN, ctx);
  assertEquals(reader.verifies, ["00 81 06", "FF 81 00"]);
  assertEquals(reader.resets, 1);
  assertEquals(await reader.otherClient(OTHER_CDS), "6982");
  reader.verifies = [];
  await decrypt(app, ctx);
  assertEquals(reader.verifies, ["00 82 06"], "no VERIFY FF wasted on this card again");
  assertEquals(reader.resets, 2);
  assertEquals(await reader.otherClient(otherDecipher()), "6982");
  await app.sign(SIGN, ctx); // the card is the same after its reset: the model still serves
  assertEquals(reader.resets, 3);
});

Deno.test("strict, VERIFY FF answers 9000 but the PIN stays verified: the card is reset", async () => {
  const { reader, app, ctx } = await setup("ignored");
  await app.sign(SIGN, ctx);
  assertEquals(reader.verifies, ["00 81 06", "FF 81 00", "00 81 00"]);
  assertEquals(reader.resets, 1);
  assertEquals(await reader.otherClient(OTHER_CDS), "6982");
  reader.verifies = [];
  await decrypt(app, ctx);
  assertEquals(reader.verifies, ["00 82 06"]);
  assertEquals(reader.resets, 2);
  assertEquals(await reader.otherClient(otherDecipher()), "6982");
});

Deno.test("strict, burst hold on a card without a working VERIFY FF: reset when the hold ends", async () => {
  const { reader, app, ctx } = await setup("refused", { holdMs: 100 });
  await app.sign(SIGN, ctx);
  await app.sign(SIGN, ctx); // within the hold: the PSO alone
  assertEquals(reader.resets, 0, "the hold keeps the transaction and its verification");
  await app.release();
  assertEquals(reader.resets, 1);
  assertEquals(await reader.otherClient(OTHER_CDS), "6982");
});

Deno.test("strict, no working VERIFY FF and a reader that cannot reset: the operation fails", async () => {
  const { reader, app, ctx } = await setup("ignored");
  reader.canReset = false;
  await assertRejects(() => app.sign(SIGN, ctx), CardStatusError);
  reader.card.reset(); // what a power cycle would do; not the daemon's doing
});

Deno.test("session policy: no VERIFY FF, no status query, no reset", async () => {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: serial++ }));
  const app = await OpenPgpApplication.open(reader.connect, { pinPolicy: "session" });
  const ctx = { pin: PINS, status: new StatusRecorder() };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  reader.verifies = [];
  await app.sign(SIGN, ctx);
  assertEquals(reader.verifies, ["00 81 06"]);
  assertEquals(reader.resets, 0);
});

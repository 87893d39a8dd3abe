/**
 * The fast path of the OpenPGP application on the in-process virtual card: questions answered
 * from the card-state model with no APDU and no transaction, a warm sign in one transaction of
 * four APDUs, the PIN asked with no transaction open, and a card swapped during the prompt
 * caught before any PIN reaches it.
 */

import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import type { PinProvider, PinQuery, PinRequest } from "../../src/app/pin.ts";
import { CardChangedError } from "../../src/app/errors.ts";
import { type CardConnector, OpenPgpApplication } from "../../src/openpgp/application.ts";
import { utf8 } from "../../src/util/bytes.ts";
import { VirtualCard } from "../../src/virtual/card.ts";
import { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";
import { VirtualChannel } from "../support/virtual_channel.ts";
import { StatusRecorder } from "./_openpgp_fixture.ts";

/** A reader whose card can be swapped, counting transactions and knowing when one is open. */
class Reader {
  channel: VirtualChannel;
  open = false;
  transactions = 0;
  constructor(card: VirtualCard) {
    this.channel = new VirtualChannel(card);
  }
  get card(): VirtualCard {
    return this.channel.card;
  }
  connect: CardConnector = async (fn) => {
    this.transactions++;
    this.open = true;
    try {
      return await fn(this.channel);
    } finally {
      this.open = false;
    }
  };
}

/** PINs from "the person" (recording whether a transaction was open) or from a cache. */
class Pins implements PinProvider {
  asked: { prompt: string; duringTransaction: boolean }[] = [];
  cached = false;
  onAsk: (() => void) | undefined;
  constructor(private reader: Reader) {}
  canAnswer(_query: PinQuery): boolean {
    return this.cached;
  }
  get(request: PinRequest): Promise<Uint8Array> {
    if (!this.cached) {
      this.asked.push({ prompt: request.prompt, duringTransaction: this.reader.open });
      this.onAsk?.();
    }
    return Promise.resolve(utf8(request.kind === "admin" ? ADMIN_PIN : USER_PIN));
  }
}

async function setup() {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: 1 }));
  const app = await OpenPgpApplication.open(reader.connect);
  const pins = new Pins(reader);
  const status = new StatusRecorder();
  const ctx = { pin: pins, status };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  await app.genKey({ keyRef: "OPENPGP.2", algo: "cv25519", force: true, timestamp: 1 }, ctx);
  await app.learn({ force: true }, ctx);
  pins.asked.length = 0;
  return { reader, app, pins, status, ctx };
}

function counts(card: VirtualCard): Record<string, number> {
  return Object.fromEntries(Object.entries(card.apduLog.byIns()).map(([k, v]) => [k, v.count]));
}

const SIGN = { keyRef: "OPENPGP.1", hash: "sha256" as const, data: new Uint8Array(32) };

Deno.test("questions gpg-agent asks before a sign are answered with no APDU and no transaction", async () => {
  const { reader, app, status, ctx } = await setup();
  status.clear();
  reader.card.apduLog.reset();
  const before = reader.transactions;
  for (const name of ["SERIALNO", "KEY-FPR", "$SIGNKEYID", "$DISPSERIALNO", "CHV-STATUS"]) {
    await app.getAttr({ name }, ctx);
  }
  for (const keyRef of ["OPENPGP.1", "OPENPGP.2"]) await app.readKey({ keyRef }, ctx);
  await assertRejects(() => app.readKey({ keyRef: "OPENPGP.3" }, ctx)); // empty slot, as online
  await app.listKeys(ctx);
  await app.learn({}, ctx);
  assertEquals(reader.transactions - before, 0);
  assertEquals(reader.card.apduLog.total(), 0);
  assert(status.of("KEY-FPR").length >= 2 && status.of("KEYPAIRINFO").length === 2);
});

Deno.test("the model's answers equal a fresh read of the card", async () => {
  const { app, status, ctx, reader } = await setup();
  await app.sign(SIGN, ctx); // counter and PW status change; the model follows
  status.clear();
  await app.learn({}, ctx);
  const fromModel = [...status.lines];
  const fresh = await OpenPgpApplication.open(reader.connect);
  status.clear();
  await fresh.learn({ force: true }, ctx);
  assertEquals(fromModel, status.lines);
  assert(fromModel.includes("SIG-COUNTER 1"));
});

Deno.test("a warm sign with the PIN cached is one transaction: SELECT, AID, VERIFY, PSO, VERIFY FF, status", async () => {
  const { reader, app, pins, ctx } = await setup();
  await app.sign(SIGN, ctx);
  pins.cached = true;
  reader.card.apduLog.reset();
  const before = reader.transactions;
  await app.sign(SIGN, ctx);
  assertEquals(reader.transactions - before, 1);
  // the AID read (GET DATA 4F) proves the card is ours before the cached PIN goes out
  assertEquals(counts(reader.card), { A4: 1, CA: 1, "20": 3, "2A": 1 });
});

Deno.test("the person is asked for the PIN with no transaction open", async () => {
  const { reader, app, pins, ctx } = await setup();
  const before = reader.transactions;
  await app.sign(SIGN, ctx);
  await app.decipher(
    { keyRef: "OPENPGP.2", data: new Uint8Array([0x40, ...new Uint8Array(32)]) },
    ctx,
  )
    .catch(() => {}); // a junk point may be refused by the card; the prompt came first
  await app.changePin({ chvRef: "1" }, ctx).catch(() => {});
  assert(pins.asked.length >= 3);
  assertEquals(pins.asked.filter((a) => a.duringTransaction), []);
  assert(reader.transactions - before >= 4);
  assert(pins.asked[0]!.prompt.startsWith("||Please unlock the card"));
});

Deno.test("a card swapped during the prompt gets no PIN and the call fails as card removed", async () => {
  const { reader, app, pins, ctx } = await setup();
  const other = await VirtualCard.open({ autoTouchMs: 0, serial: 2 });
  pins.onAsk = () => (reader.channel = new VirtualChannel(other));
  other.apduLog.reset();
  await assertRejects(() => app.sign(SIGN, ctx), CardChangedError);
  assertEquals(counts(other)["20"], undefined, "no VERIFY reached the other card");
  assertEquals(counts(other)["2A"], undefined);
});

Deno.test("a write invalidates the model: the next question reads the new value", async () => {
  const { reader, app, status, ctx } = await setup();
  await app.setAttr({ name: "DISP-NAME", value: utf8("Doe<<Jane") }, ctx);
  status.clear();
  await app.getAttr({ name: "DISP-NAME" }, ctx);
  assertEquals(status.lines, ["DISP-NAME Doe<<Jane"]);
  reader.card.apduLog.reset();
  await app.getAttr({ name: "DISP-NAME" }, ctx);
  assertEquals(reader.card.apduLog.total(), 0, "now known again");
});

Deno.test("burst hold: the next sign within the hold is its PSO alone; then the PIN is reset", async () => {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: 3 }));
  const app = await OpenPgpApplication.open(reader.connect, { holdMs: 150 });
  const pins = new Pins(reader);
  const ctx = { pin: pins, status: new StatusRecorder() };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  await app.release();
  pins.cached = true;
  await app.sign(SIGN, ctx);
  assert(reader.open, "the transaction is held after the operation");
  reader.card.apduLog.reset();
  const before = reader.transactions;
  await app.sign(SIGN, ctx);
  await app.sign(SIGN, ctx);
  assertEquals(counts(reader.card), { "2A": 2 });
  assertEquals(reader.transactions, before, "no new transaction");
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(reader.open, false, "the hold ended by itself");
  assertEquals(counts(reader.card)["20"], 2, "VERIFY FF 81 and its status query before the end");
  const pso = await reader.channel.transmit(
    Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x20, ...new Uint8Array(32), 0x00),
  );
  assertEquals(pso.slice(-2), Uint8Array.of(0x69, 0x82), "nothing verified for anyone else");
});

Deno.test("burst hold: an operation that needs the person ends the hold before the prompt", async () => {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: 4 }));
  const app = await OpenPgpApplication.open(reader.connect, { holdMs: 5000 });
  const pins = new Pins(reader);
  const ctx = { pin: pins, status: new StatusRecorder() };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  assert(reader.open);
  pins.asked.length = 0;
  await app.sign(SIGN, ctx); // needs the user PIN: not cached here
  assertEquals(pins.asked.map((a) => a.duringTransaction), [false]);
  await app.release();
  assertEquals(reader.open, false);
});

/** Resolves once the reader's transaction has ended. */
async function ended(reader: Reader): Promise<void> {
  for (let i = 0; reader.open && i < 200; i++) await new Promise((r) => setTimeout(r, 5));
}

Deno.test("burst hold: a client that never pauses gets a new transaction after 16 operations", async () => {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: 5 }));
  const app = await OpenPgpApplication.open(reader.connect, { holdMs: 5000, holdMaxMs: 60_000 });
  const pins = new Pins(reader);
  const ctx = { pin: pins, status: new StatusRecorder() };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  await app.release();
  pins.cached = true;
  const before = reader.transactions;
  for (let i = 0; i < 16; i++) await app.sign(SIGN, ctx);
  assertEquals(reader.transactions, before + 1, "16 operations in one transaction");
  await ended(reader);
  assertEquals(reader.open, false, "the hold ended after its 16th operation, not after 5 s");
  await app.sign(SIGN, ctx);
  assertEquals(reader.transactions, before + 2, "the 17th opens a transaction of its own");
  await app.release();
});

Deno.test("burst hold: hold-max ends the hold although the hold time has not run out", async () => {
  const reader = new Reader(await VirtualCard.open({ autoTouchMs: 0, serial: 6 }));
  const app = await OpenPgpApplication.open(reader.connect, { holdMs: 5000, holdMaxMs: 100 });
  const pins = new Pins(reader);
  const ctx = { pin: pins, status: new StatusRecorder() };
  await app.genKey({ keyRef: "OPENPGP.1", algo: "ed25519", force: true, timestamp: 1 }, ctx);
  assert(reader.open, "held after the operation");
  await new Promise((r) => setTimeout(r, 50));
  assert(reader.open, "still held within hold-max");
  await new Promise((r) => setTimeout(r, 200));
  assertEquals(reader.open, false, "ended at hold-max, not at the 5 s hold");
  const pso = await reader.channel.transmit(
    Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x20, ...new Uint8Array(32), 0x00),
  );
  assertEquals(pso.slice(-2), Uint8Array.of(0x69, 0x82), "and the PIN was reset");
});

Deno.test("strict policy: after a write (which empties the model) the Admin PIN is reset", async () => {
  const { reader, app, ctx } = await setup();
  await app.setAttr({ name: "DISP-NAME", value: utf8("B<<A") }, ctx); // PUT DATA drops the model
  const putName = Uint8Array.of(0x00, 0xda, 0x00, 0x5b, 0x03, 0x41, 0x3c, 0x3c);
  const r = await reader.channel.transmit(putName); // no VERIFY 83 of its own
  assertEquals(r.slice(-2), Uint8Array.of(0x69, 0x82), "PW3 must not stay verified");
});

import assert from "node:assert/strict";
import {
  SCARD_E_INVALID_HANDLE,
  SCARD_E_NO_SMARTCARD,
  SCARD_E_NOT_TRANSACTED,
  SCARD_E_READER_UNAVAILABLE,
  SCARD_RETURN_CODES,
  SCARD_W_REMOVED_CARD,
  SCARD_W_RESET_CARD,
} from "../../ffi/mod.ts";
import { FakePcsc, type FakeResponder } from "../../tests/support/fake_pcsc.ts";
import type { CardAttempt } from "./backend.ts";
import { PcscError } from "./errors.ts";
import { presentsReferenceData, withCard } from "./with_card.ts";

const READER = "Fake Reader 00";
const ATR = Uint8Array.of(0x3b, 0xda, 0x18, 0xff, 0x81, 0xb1);
const OK = Uint8Array.of(0x90, 0x00);
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x06, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);
const VERIFY = Uint8Array.of(0x00, 0x20, 0x00, 0x81, 0x06, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36);

function fake(respond: FakeResponder = () => OK): FakePcsc {
  const f = new FakePcsc([READER]);
  f.insert(READER, ATR, respond);
  return f;
}

function assertNothingHeld(f: FakePcsc): void {
  assert.equal(f.openContexts, 0, "contexts left open");
  assert.equal(f.openHandles, 0, "handles left open");
  assert.equal(f.locked(READER), false, "transaction left open");
}

Deno.test("withCard() runs fn inside one transaction and releases everything", async () => {
  const f = fake();
  const out = await withCard(READER, async (channel) => {
    assert.equal(f.locked(READER), true);
    assert.equal(channel.reader, READER);
    assert.deepEqual(channel.atr, ATR);
    return await channel.transmit(SELECT);
  }, { library: f });
  assert.deepEqual(out, OK);
  assertNothingHeld(f);
  assert.deepEqual(f.calls, [
    "SCardEstablishContext",
    "SCardConnect",
    "SCardBeginTransaction",
    "SCardStatus",
    "SCardTransmit",
    "SCardEndTransaction",
    "SCardDisconnect",
    "SCardReleaseContext",
  ]);
});

Deno.test("withCard() retries once when the card is reset mid-operation", async () => {
  let resets = 0;
  const f = fake((_apdu, fk) => {
    if (resets++ === 0) fk.reset(READER); // another client resets the card during our APDU
    return OK;
  });
  const seen: number[] = [];
  const retried: unknown[] = [];
  const out = await withCard(READER, async (channel, attempt) => {
    seen.push(attempt.number);
    return await channel.transmit(SELECT);
  }, { library: f, retryDelayMs: 0, onRetry: (e) => retried.push(e) });
  assert.deepEqual(out, OK);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(retried.length, 1);
  assert.ok(retried[0] instanceof PcscError);
  assert.equal((retried[0] as PcscError).code, "SCARD_W_RESET_CARD");
  assertNothingHeld(f);
});

for (
  const rv of [
    SCARD_W_RESET_CARD,
    SCARD_W_REMOVED_CARD,
    SCARD_E_NO_SMARTCARD,
    SCARD_E_INVALID_HANDLE,
    SCARD_E_READER_UNAVAILABLE,
    SCARD_E_NOT_TRANSACTED,
    SCARD_RETURN_CODES.SCARD_E_NO_SERVICE,
  ]
) {
  const name = Object.entries(SCARD_RETURN_CODES).find(([, v]) => v === rv)![0];
  Deno.test(`withCard() retries ${name} exactly once, then throws it`, async () => {
    const f = fake(() => rv);
    let runs = 0;
    await assert.rejects(
      withCard(READER, async (channel) => {
        runs++;
        return await channel.transmit(SELECT);
      }, { library: f, retryDelayMs: 0 }),
      (e: unknown) => e instanceof PcscError && e.rv === rv && e.op === "SCardTransmit",
    );
    assert.equal(runs, 2);
    assertNothingHeld(f);
  });
}

Deno.test("withCard() does not retry other PC/SC errors", async () => {
  const f = fake(() => SCARD_RETURN_CODES.SCARD_E_INVALID_PARAMETER);
  let runs = 0;
  await assert.rejects(
    withCard(READER, (ch) => (runs++, ch.transmit(SELECT)), { library: f, retryDelayMs: 0 }),
    /SCARD_E_INVALID_PARAMETER/,
  );
  assert.equal(runs, 1);
  assertNothingHeld(f);
});

Deno.test("withCard() never resends a VERIFY that carried a PIN", async () => {
  const f = fake((apdu, fk) => {
    if (apdu[1] === 0x20) fk.reset(READER); // reset while the PIN is in flight
    return Uint8Array.of(0x63, 0xc2);
  });
  let runs = 0;
  let committed: CardAttempt | undefined;
  await assert.rejects(
    withCard(READER, async (channel, attempt) => {
      runs++;
      committed = attempt;
      await channel.transmit(SELECT);
      return await channel.transmit(VERIFY);
    }, { library: f, retryDelayMs: 0 }),
    /SCARD_W_RESET_CARD/,
  );
  assert.equal(runs, 1);
  assert.equal(committed?.committed, true);
  assert.equal(committed?.commitReason, "INS 20 sent");
  assert.equal(f.apdus.filter((a) => a[1] === 0x20).length, 1);
  assertNothingHeld(f);
});

Deno.test("withCard() still retries after a VERIFY status query without data", async () => {
  let n = 0;
  const f = fake(() => (n++ === 0 ? SCARD_W_RESET_CARD : OK));
  let runs = 0;
  await withCard(READER, (ch) => (runs++, ch.transmit(Uint8Array.of(0x00, 0x20, 0x00, 0x81))), {
    library: f,
    retryDelayMs: 0,
  });
  assert.equal(runs, 2);
});

Deno.test("withCard() honours attempt.commit() and retry: false", async () => {
  for (const mode of ["commit", "option"] as const) {
    const f = fake(() => SCARD_W_REMOVED_CARD);
    let runs = 0;
    await assert.rejects(
      withCard(READER, (ch, attempt) => {
        runs++;
        if (mode === "commit") attempt.commit("GENERATE sent");
        return ch.transmit(SELECT);
      }, { library: f, retryDelayMs: 0, retry: mode === "option" ? false : true }),
      /SCARD_W_REMOVED_CARD/,
    );
    assert.equal(runs, 1, mode);
    assertNothingHeld(f);
  }
});

Deno.test("withCard() says pcscd is not running after one retry", async () => {
  const f = fake();
  f.serviceUp = false;
  await assert.rejects(
    withCard(READER, (ch) => ch.transmit(SELECT), { library: f, retryDelayMs: 0 }),
    (e: unknown) =>
      e instanceof PcscError &&
      e.message === "Cannot establish PC/SC context: pcscd is not running (SCARD_E_NO_SERVICE)",
  );
  assert.equal(f.calls.filter((c) => c === "SCardEstablishContext").length, 2);
});

Deno.test("withCard() recovers when pcscd comes back before the retry", async () => {
  const f = fake();
  f.serviceUp = false;
  const out = await withCard(READER, (ch) => ch.transmit(SELECT), {
    library: f,
    retryDelayMs: 0,
    onRetry: () => (f.serviceUp = true),
  });
  assert.deepEqual(out, OK);
  assertNothingHeld(f);
});

Deno.test("withCard() retries a PcscError wrapped as a cause", async () => {
  let n = 0;
  const f = fake(() => (n++ === 0 ? SCARD_W_RESET_CARD : OK));
  let runs = 0;
  await withCard(READER, async (ch) => {
    runs++;
    try {
      return await ch.transmit(SELECT);
    } catch (e) {
      throw new Error("Cannot select OpenPGP application", { cause: e });
    }
  }, { library: f, retryDelayMs: 0 });
  assert.equal(runs, 2);
});

Deno.test("withCard() passes fn's own errors through without retrying", async () => {
  const f = fake();
  let runs = 0;
  await assert.rejects(
    withCard(READER, () => {
      runs++;
      return Promise.reject(new RangeError("bad"));
    }, { library: f, retryDelayMs: 0 }),
    RangeError,
  );
  assert.equal(runs, 1);
  assertNothingHeld(f);
});

Deno.test("withCard() stops at an aborted signal and releases what it opened", async () => {
  const f = fake();
  const before = new AbortController();
  before.abort(new Error("cancelled by CAN"));
  await assert.rejects(
    withCard(READER, (ch) => ch.transmit(SELECT), {
      library: f,
      signal: before.signal,
    }),
    /cancelled by CAN/,
  );
  assert.equal(f.calls.length, 0);

  const during = new AbortController();
  await assert.rejects(
    withCard(READER, async (ch) => {
      await ch.transmit(SELECT);
      during.abort(new Error("peer closed"));
      return await ch.transmit(SELECT);
    }, { library: f, signal: during.signal }),
    /peer closed/,
  );
  assert.equal(f.apdus.length, 1);
  assertNothingHeld(f);
});

Deno.test("withCard() aborts during the retry delay", async () => {
  const f = fake(() => SCARD_W_RESET_CARD);
  const ac = new AbortController();
  await assert.rejects(
    withCard(READER, (ch) => ch.transmit(SELECT), {
      library: f,
      signal: ac.signal,
      retryDelayMs: 10_000,
      onRetry: () => queueMicrotask(() => ac.abort(new Error("stop"))),
    }),
    /stop/,
  );
  assertNothingHeld(f);
});

Deno.test("presentsReferenceData() spots PIN-bearing ISO commands only", () => {
  const cases: [number[], boolean][] = [
    [[0x00, 0x20, 0x00, 0x81, 0x06, 1, 2, 3, 4, 5, 6], true], // VERIFY PW1
    [[0x00, 0x20, 0x00, 0x81], false], // status query
    [[0x00, 0x20, 0xff, 0x81], false], // reset access status (no data)
    [[0x00, 0x24, 0x00, 0x83, 0x02, 1, 2], true], // CHANGE REFERENCE DATA
    [[0x00, 0x2c, 0x02, 0x81, 0x01, 1], true], // RESET RETRY COUNTER
    [[0x10, 0x20, 0x00, 0x82, 0x01, 1], true], // chained
    [[0x00, 0x20, 0x00, 0x81, 0x00, 0x00, 0x02, 1, 2], true], // extended Lc
    [[0x00, 0x20, 0x00, 0x81, 0x00, 0x00, 0x00], false], // extended case 2 (no data)
    [[0x80, 0x20, 0x00, 0x81, 0x01, 1], false], // proprietary class
    [[0x00, 0xa4, 0x04, 0x00, 0x01, 1], false], // SELECT
    [[0x00, 0x2a, 0x9e, 0x9a, 0x01, 1], false], // PSO:CDS
  ];
  for (const [apdu, want] of cases) {
    assert.equal(presentsReferenceData(Uint8Array.from(apdu)), want, apdu.join(","));
  }
});

import assert from "node:assert/strict";
import { FakePcsc } from "../../tests/support/fake_pcsc.ts";
import { CardBusyError, HandlePool } from "./handle_pool.ts";
import { withCard } from "./with_card.ts";

const READER = "Fake Reader 00";
const ATR = Uint8Array.of(0x3b, 0xda, 0x18, 0xff, 0x81, 0xb1);
const OK = Uint8Array.of(0x90, 0x00);
const SELECT = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, 0x06, 0xd2, 0x76, 0x00, 0x01, 0x24, 0x01);

function fake(): FakePcsc {
  const f = new FakePcsc([READER]);
  f.insert(READER, ATR, () => OK);
  return f;
}

function count(f: FakePcsc, name: string): number {
  return f.calls.filter((c) => c === name).length;
}

Deno.test("a card held by another client fails with CardBusyError after the bound, then is let go", async () => {
  const f = fake();
  let release!: () => void;
  f.beginGate = new Promise((r) => (release = r));
  const started = Date.now();
  await assert.rejects(
    withCard(READER, (ch) => ch.transmit(SELECT), { library: f, busyTimeoutMs: 50 }),
    CardBusyError,
  );
  assert.ok(Date.now() - started < 1000);
  assert.equal(f.apdus.length, 0, "nothing was sent");
  release(); // the other client ends its transaction: ours arrives late and is ended unused
  f.beginGate = undefined;
  for (let i = 0; i < 50 && f.openContexts > 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(f.openContexts, 0);
  assert.equal(f.openHandles, 0);
  assert.equal(f.locked(READER), false);
  assert.equal(f.apdus.length, 0);
});

Deno.test("a pooled handle serves several operations, each its own transaction, until the TTL", async () => {
  const f = fake();
  const pool = new HandlePool(60);
  for (let i = 0; i < 3; i++) {
    await withCard(READER, (ch) => ch.transmit(SELECT), { library: f, pool });
    assert.equal(f.locked(READER), false, "no transaction between operations");
  }
  assert.equal(count(f, "SCardConnect"), 1);
  assert.equal(count(f, "SCardBeginTransaction"), 3);
  assert.equal(f.openHandles, 1);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(f.openHandles, 0, "released by the timer");
  assert.equal(f.openContexts, 0);
});

Deno.test("pooled operations on one reader run one after another", async () => {
  const f = fake();
  const pool = new HandlePool(1000);
  const order: string[] = [];
  const op = (name: string) =>
    withCard(READER, async (ch) => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 10));
      await ch.transmit(SELECT);
      order.push(`${name} out`);
    }, { library: f, pool });
  await Promise.all([op("a"), op("b")]);
  assert.deepEqual(order, ["a in", "a out", "b in", "b out"]);
  await pool.close();
  assert.equal(f.openHandles, 0);
});

Deno.test("a pooled handle that saw a reset is dropped and the retry connects afresh", async () => {
  const f = fake();
  const pool = new HandlePool(1000);
  await withCard(READER, (ch) => ch.transmit(SELECT), { library: f, pool });
  f.reset(READER); // another client reset the card: our pooled handle is stale
  await withCard(READER, (ch) => ch.transmit(SELECT), { library: f, pool, retryDelayMs: 1 });
  assert.equal(count(f, "SCardConnect"), 2);
  assert.equal(pool.size, 1);
  await pool.close();
  assert.equal(f.openHandles, 0);
  assert.equal(f.openContexts, 0);
});

Deno.test("resetOnEnd ends the transaction with SCARD_RESET_CARD and never pools the handle", async () => {
  const f = fake();
  const pool = new HandlePool(1000);
  await withCard(READER, async (ch) => {
    await ch.transmit(SELECT);
    ch.resetOnEnd?.();
  }, { library: f, pool });
  assert.deepEqual(f.endDispositions, [0x0001]);
  assert.equal(pool.size, 0, "pcsc-lite marked our handle reset too");
  assert.equal(f.openHandles, 0);
  // the next operation connects afresh and is not hit by SCARD_W_RESET_CARD
  await withCard(READER, (ch) => ch.transmit(SELECT), { library: f, pool, retry: false });
  assert.deepEqual(f.endDispositions, [0x0001, 0x0000]);
  assert.equal(count(f, "SCardConnect"), 2);
  await pool.close();
});

Deno.test("resetOnEnd without a pool: reset disposition, handle and context released", async () => {
  const f = fake();
  await withCard(READER, (ch) => {
    ch.resetOnEnd?.();
    return Promise.resolve();
  }, { library: f });
  assert.deepEqual(f.endDispositions, [0x0001]);
  assert.equal(f.openHandles, 0);
  assert.equal(f.openContexts, 0);
});

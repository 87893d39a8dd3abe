import assert from "node:assert/strict";
import { SCARD_ATTR_VENDOR_NAME, SCARD_PROTOCOL_T1 } from "../../ffi/mod.ts";
import { FakePcsc } from "../../tests/support/fake_pcsc.ts";
import { PcscContext } from "./context.ts";
import { PcscError } from "./errors.ts";

const R0 = "Fake Reader 00";
const R1 = "Fake Reader 01";
const ATR = Uint8Array.of(0x3b, 0x80, 0x80, 0x01, 0x01);

function fake(): FakePcsc {
  const f = new FakePcsc([R0, R1]);
  f.insert(R0, ATR, (apdu) => Uint8Array.of(apdu[1]!, 0x90, 0x00));
  return f;
}

Deno.test("PcscContext.listReaders() decodes the multi-string", async () => {
  const f = fake();
  await using ctx = await PcscContext.establish({ library: f });
  assert.deepEqual(await ctx.listReaders(), [R0, R1]);
});

Deno.test("PcscContext.listReaders() returns [] when no reader is connected", async () => {
  await using ctx = await PcscContext.establish({ library: new FakePcsc([]) });
  assert.deepEqual(await ctx.listReaders(), []);
});

Deno.test("PcscContext.connectShared() reports a missing card with the reader name", async () => {
  await using ctx = await PcscContext.establish({ library: fake() });
  await assert.rejects(
    ctx.connectShared(R1),
    (e: unknown) =>
      e instanceof PcscError &&
      e.message ===
        'Cannot connect to card in "Fake Reader 01": no card in the reader (SCARD_E_NO_SMARTCARD)',
  );
});

Deno.test("PcscCard.status() returns reader, protocol and ATR", async () => {
  const f = fake();
  await using ctx = await PcscContext.establish({ library: f });
  await using card = await ctx.connectShared(R0);
  assert.equal(card.protocol, SCARD_PROTOCOL_T1);
  const st = await card.status();
  assert.equal(st.reader, R0);
  assert.deepEqual(st.atr, ATR);
  assert.deepEqual(await card.getAttribute(SCARD_ATTR_VENDOR_NAME), Uint8Array.of(1, 2, 3));
});

Deno.test("PcscTransaction.channel transmits in order and closes with the transaction", async () => {
  const f = fake();
  await using ctx = await PcscContext.establish({ library: f });
  await using card = await ctx.connectShared(R0);
  const tx = await card.beginTransaction();
  assert.ok(f.locked(R0));
  const answers = await Promise.all(
    [0xa4, 0xca, 0x2a].map((ins) => tx.channel.transmit(Uint8Array.of(0, ins, 0, 0))),
  );
  assert.deepEqual(answers.map((a) => a[0]), [0xa4, 0xca, 0x2a]);
  assert.deepEqual(tx.channel.atr, ATR);
  await tx.end();
  await tx.end(); // idempotent
  assert.ok(!f.locked(R0));
  await assert.rejects(
    tx.channel.transmit(Uint8Array.of(0, 0xa4, 0, 0)),
    /transaction .* has ended/,
  );
});

Deno.test("PcscCard.beginTransaction() sees a reset by another client", async () => {
  const f = fake();
  await using ctx = await PcscContext.establish({ library: f });
  await using card = await ctx.connectShared(R0);
  f.reset(R0);
  await assert.rejects(card.beginTransaction(), /SCARD_W_RESET_CARD/);
  await card.reconnect();
  const tx = await card.beginTransaction();
  await tx[Symbol.asyncDispose]();
});

Deno.test("disposal after the card was pulled does not throw and frees everything", async () => {
  const f = fake();
  {
    await using ctx = await PcscContext.establish({ library: f });
    await using card = await ctx.connectShared(R0);
    await using tx = await card.beginTransaction();
    f.remove(R0);
    await assert.rejects(tx.channel.transmit(Uint8Array.of(0, 0xa4, 0, 0)), /SCARD_W_REMOVED_CARD/);
  }
  assert.equal(f.openHandles, 0);
  assert.equal(f.openContexts, 0);
});

Deno.test("PcscContext.release() disconnects cards still open and is idempotent", async () => {
  const f = fake();
  const ctx = await PcscContext.establish({ library: f });
  const card = await ctx.connectShared(R0);
  await card.beginTransaction();
  assert.equal(ctx.openCards, 1);
  await ctx.release();
  await ctx.release();
  assert.equal(card.connected, false);
  assert.equal(ctx.established, false);
  assert.equal(f.openHandles, 0);
  assert.ok(!f.locked(R0));
  await assert.rejects(ctx.listReaders(), /context is released/);
  await assert.rejects(card.status(), /handle .* is closed/);
});

Deno.test("PcscContext.establish() fails clearly when pcscd is not running", async () => {
  const f = fake();
  f.serviceUp = false;
  await assert.rejects(PcscContext.establish({ library: f }), /pcscd is not running/);
});

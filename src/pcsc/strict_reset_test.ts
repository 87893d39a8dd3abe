/**
 * A reset asked for by the strict PIN policy (`channel.resetOnEnd()`) happens whatever way the
 * operation ended: a PC/SC error after a VERIFY must not turn it into SCARD_LEAVE_CARD, which
 * would leave the card verified for every other client (security review M1, docs/security.md).
 */
import assert from "node:assert/strict";
import {
  SCARD_E_NOT_TRANSACTED,
  SCARD_F_COMM_ERROR,
  SCARD_LEAVE_CARD,
  SCARD_RESET_CARD,
} from "../../ffi/mod.ts";
import { FakePcsc } from "../../tests/support/fake_pcsc.ts";
import { PcscError } from "./errors.ts";
import { withCard } from "./with_card.ts";

const READER = "Fake Reader 00";
const ATR = Uint8Array.of(0x3b, 0xda, 0x18, 0xff, 0x81, 0xb1);
const OK = Uint8Array.of(0x90, 0x00);
const VERIFY = Uint8Array.of(0x00, 0x20, 0x00, 0x81, 0x06, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36);
const PSO = Uint8Array.of(0x00, 0x2a, 0x9e, 0x9a, 0x02, 0x01, 0x02, 0x00);

/** A card that accepts the VERIFY and fails the PSO with `rv` (after `onPso`). */
function failingPso(rv: number, onPso: (f: FakePcsc) => void = () => {}): FakePcsc {
  const f = new FakePcsc([READER]);
  f.insert(READER, ATR, (apdu, fk) => {
    if (apdu[1] !== 0x2a) return OK;
    onPso(fk);
    return rv;
  });
  return f;
}

async function verifyThenPso(f: FakePcsc): Promise<void> {
  await assert.rejects(
    withCard(READER, async (channel) => {
      await channel.transmit(VERIFY);
      channel.resetOnEnd?.(); // what the strict policy asks once a PIN was presented
      await channel.transmit(PSO);
    }, { library: f, retryDelayMs: 0 }),
    (e: unknown) => e instanceof PcscError && e.op === "SCardTransmit",
  );
  assert.equal(f.openHandles, 0, "handle left open");
  assert.equal(f.locked(READER), false, "transaction left open");
}

Deno.test("strict reset: a PC/SC error after VERIFY still ends the transaction with a reset", async () => {
  const f = failingPso(SCARD_F_COMM_ERROR);
  await verifyThenPso(f);
  assert.deepEqual(f.endDispositions, [SCARD_RESET_CARD]);
});

Deno.test("strict reset: NOT_TRANSACTED on the PSO still ends the transaction with a reset", async () => {
  const f = failingPso(SCARD_E_NOT_TRANSACTED);
  await verifyThenPso(f);
  assert.deepEqual(f.endDispositions, [SCARD_RESET_CARD]);
});

Deno.test("strict reset: when pcscd refuses the end, the handle is disconnected with a reset", async () => {
  const f = failingPso(SCARD_E_NOT_TRANSACTED, (fk) => fk.dropLock(READER));
  await verifyThenPso(f);
  assert.deepEqual(f.endDispositions, [SCARD_RESET_CARD]);
  assert.deepEqual(f.disconnectDispositions, [SCARD_RESET_CARD]);
});

Deno.test("strict reset: without a reset asked for, a failed operation leaves the card", async () => {
  const f = failingPso(SCARD_F_COMM_ERROR);
  await assert.rejects(withCard(READER, async (channel) => {
    await channel.transmit(PSO);
  }, { library: f, retry: false }));
  assert.deepEqual(f.endDispositions, [SCARD_LEAVE_CARD]);
  assert.deepEqual(f.disconnectDispositions, [SCARD_LEAVE_CARD]);
});

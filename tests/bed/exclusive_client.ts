/**
 * "Another program" for the reader tests and the fault suite, written against the raw FFI so it can do what scd-ts
 * never does: ask for an EXCLUSIVE connection, which only succeeds when nobody else holds the
 * card. That is how the tests prove scd-ts holds nothing.
 *
 * @module
 */

import {
  allocWord,
  encodeCString,
  openPcsc,
  readLong,
  returnCodeName,
  SCARD_LEAVE_CARD,
  SCARD_PROTOCOL_ANY,
  SCARD_S_SUCCESS,
  SCARD_SCOPE_SYSTEM,
  SCARD_SHARE_EXCLUSIVE,
  toReturnCode,
} from "../../ffi/mod.ts";
import { PcscContext, type ReaderStateResult } from "../../src/pcsc/mod.ts";

/**
 * Connects to the card in `reader` exclusively from a fresh context. On success the card stays
 * held until `release()` runs; otherwise the context is gone and `code` says why.
 */
export async function connectExclusively(
  reader: string,
): Promise<{ code: string; release: () => Promise<void> }> {
  const { symbols } = openPcsc();
  const ctxOut = allocWord();
  const rv0 = toReturnCode(
    await symbols.SCardEstablishContext(SCARD_SCOPE_SYSTEM, null, null, ctxOut),
  );
  if (rv0 !== SCARD_S_SUCCESS) return { code: returnCodeName(rv0), release: async () => {} };
  const ctx = readLong(ctxOut);
  const hCard = allocWord();
  const proto = allocWord();
  const rv = toReturnCode(
    await symbols.SCardConnect(
      ctx,
      encodeCString(reader),
      SCARD_SHARE_EXCLUSIVE,
      SCARD_PROTOCOL_ANY,
      hCard,
      proto,
    ),
  );
  if (rv !== SCARD_S_SUCCESS) {
    await symbols.SCardReleaseContext(ctx);
    return { code: returnCodeName(rv), release: async () => {} };
  }
  return {
    code: returnCodeName(rv),
    async release() {
      await symbols.SCardDisconnect(readLong(hCard), SCARD_LEAVE_CARD);
      await symbols.SCardReleaseContext(ctx);
    },
  };
}

/** Tries an exclusive connect from a fresh context and lets go; returns the return code's name. */
export async function tryExclusive(reader: string): Promise<string> {
  const { code, release } = await connectExclusively(reader);
  await release();
  return code;
}

/** Waits until the reader reports a card present (or absent); returns its last state. */
export async function waitForCard(
  reader: string,
  present: boolean,
  timeoutMs = 10000,
): Promise<ReaderStateResult> {
  await using ctx = await PcscContext.establish();
  const deadline = Date.now() + timeoutMs;
  let state = 0;
  while (true) {
    const res = await ctx.getStatusChange([{ reader, currentState: state }], 250);
    const r = res?.[0];
    if (r !== undefined) {
      state = r.eventState & ~0x2;
      const isPresent = (r.eventState & 0x20) !== 0 && (r.eventState & 0x200) === 0;
      if (isPresent === present) return r;
    }
    if (Date.now() > deadline) {
      throw new Error(`Card in "${reader}" did not become ${present ? "present" : "absent"}`);
    }
  }
}

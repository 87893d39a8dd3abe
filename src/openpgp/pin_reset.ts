/**
 * The strict PIN policy's last step (docs/pin-policy.md "Strict on every card"): when a
 * transaction ends, no PIN it verified may stay verified for the next PC/SC client.
 *
 * Two ways, chosen by what the card says, not by vendor:
 * - **VERIFY P1=FF** (OpenPGP card 3.0+, spec 3.4 §7.2.2) for each reference the transaction
 *   verified, then a **status query** (VERIFY P1=00 with no data, same section) per reference:
 *   63Cx, 6982 or 6983 mean "not verified"; 9000 means the reset did not take.
 * - **Reset the card** when the transaction ends (`CardChannel.resetOnEnd`, PC/SC
 *   `SCARD_RESET_CARD`): a warm reset clears every security status (ISO 7816-4 §5.4, OpenPGP
 *   card 3.4 §4.3). Used for cards below 3.0, and for a card that refused P1=FF, whose status
 *   query still said verified, or that could not answer the status query.
 *
 * What failed once is remembered per card ({@linkcode PinResetMemo}): the next transaction goes
 * straight to the card reset and wastes no APDU on the way that does not work.
 * @module
 */

import { CardStatusError } from "../app/mod.ts";
import type { CardChannel } from "../iso7816/mod.ts";
import type { OpenPgpSession } from "./session.ts";

/** How this card's verifications are cleared. */
export type PinResetMethod = "verify-ff" | "card-reset";

/** What was learned about one card (one insertion): how its verifications can be cleared. */
export class PinResetMemo {
  /** Undefined until the card showed which way works (decided from its version first). */
  method: PinResetMethod | undefined;
  /** Why the card reset is used: the status word or answer that ruled P1=FF out (logs, tests). */
  reason: string | undefined;

  /** The method for a card of OpenPGP version `appVersion` (major << 8 | minor). */
  methodFor(appVersion: number): PinResetMethod {
    if (this.method) return this.method;
    // P1=FF is new in spec 3.0 (§7.2.2); a 2.x card may answer it in any way
    return appVersion >= 0x0300 ? "verify-ff" : "card-reset";
  }

  fallBack(reason: string): void {
    this.method = "card-reset";
    this.reason = reason;
  }
}

/** A status word that says the reference is not verified now (spec 3.4 §7.2.2, ISO 7816-4). */
function notVerified(sw: number): boolean {
  return (sw & 0xfff0) === 0x63c0 || sw === 0x6982 || sw === 0x6983;
}

function hex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * VERIFY P1=FF then a status query for each reference; returns why it did not work, or
 * undefined when every reference is now unverified.
 */
async function resetByVerifyFf(
  session: OpenPgpSession,
  refs: readonly number[],
): Promise<string | undefined> {
  for (const ref of refs) {
    const r = await session.resetVerification(ref);
    if (r !== 0x9000) return `VERIFY FF ${ref.toString(16)} answered ${hex(r)}`;
  }
  for (const ref of refs) {
    const r = await session.verificationStatus(ref);
    if (r === 0x9000) return `PW ${ref.toString(16)} still verified after VERIFY FF`;
    if (!notVerified(r)) return `VERIFY status of ${ref.toString(16)} answered ${hex(r)}`;
  }
  return undefined;
}

/**
 * Clears every verification `session` made, by `memo`'s method for a card of `appVersion`.
 * Throws {@linkcode CardStatusError} only when neither way is available (a channel that cannot
 * reset and a card whose P1=FF does not work): the caller must not pretend the card is clear.
 */
export async function clearVerifications(
  session: OpenPgpSession,
  channel: CardChannel,
  memo: PinResetMemo,
  appVersion: number,
): Promise<void> {
  const refs = [...session.touched];
  if (refs.length === 0) return;
  if (memo.methodFor(appVersion) === "verify-ff") {
    let failure: string | undefined;
    try {
      failure = await resetByVerifyFf(session, refs);
    } catch (e) {
      // the card or reader went away mid-reset: reset it on the way out, learn nothing
      if (!channel.resetOnEnd) throw e;
      channel.resetOnEnd();
      return;
    }
    if (failure === undefined) return;
    memo.fallBack(failure);
  } else {
    memo.reason ??= `OpenPGP card ${appVersion >> 8}.${appVersion & 0xff} has no VERIFY FF`;
  }
  if (!channel.resetOnEnd) {
    throw new CardStatusError(
      0x6982,
      `Cannot clear the PIN verification (${memo.reason}) and the reader cannot reset the card`,
    );
  }
  session.forgetTouched();
  channel.resetOnEnd();
}

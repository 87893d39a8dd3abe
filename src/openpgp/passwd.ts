/**
 * PASSWD of the OpenPGP application (scd/app-openpgp.c `do_change_pin`,
 * `clear_chv_status`) for v2+ cards:
 *
 * | request | APDUs | prompts |
 * |---|---|---|
 * | 1 | VERIFY 81 old, CHANGE REFERENCE DATA 81 old‖new | `\|\|Please enter the PIN`, `\|N\|New PIN` |
 * | 3 | VERIFY 83 old, CHANGE REFERENCE DATA 83 old‖new | admin prompt, `\|AN\|New Admin PIN` |
 * | --reset 1 | VERIFY 83, RESET RETRY COUNTER 02 81 new | admin prompt, `\|N\|New PIN` |
 * | --reset 2 | VERIFY 83, PUT DATA D3 new | admin prompt, `\|RN\|New Reset Code` |
 * | 2 | RESET RETRY COUNTER 00 81 rc‖new | `\|R\|Please enter the Reset Code for the card`, `\|N\|New PIN` |
 * | --clear N | VERIFY FF 8N (and FF 82 for N=1) | — |
 * @module
 */

import type { ChangePinRequest, PinKind, PinRequest } from "../app/mod.ts";
import {
  BadResetCodeError,
  CardStatusError,
  InvalidIdError,
  NoResetCodeError,
  NotSupportedError,
  PinBlockedError,
  PinError,
  UnsupportedOperationError,
} from "../app/mod.ts";
import { concat, utf8, wipe } from "../util/bytes.ts";
import { type AdminOptions, requireAdmin } from "./admin.ts";
import type { Op } from "./op.ts";
import * as cmd from "./commands.ts";
import { kdfPin } from "./kdf.ts";
import { adminPinRequest, MIN_LENGTH, pinRequest } from "./pin_flow.ts";
import { parsePwStatus } from "./pw_status.ts";

/** Status words stock maps to INV_VALUE (turned into UNSUPPORTED_OPERATION by --clear). */
function isInvalidValue(sw: number): boolean {
  return sw === 0x6700 || sw === 0x6a80 || sw === 0x6a86 || sw === 0x6b00 ||
    (sw & 0xff00) === 0x6c00;
}

/** `clear_chv_status`: VERIFY P1=FF for the reference (and 82 with 81). */
async function clearStatus(op: Op, chvNo: number): Promise<void> {
  if (op.ard.aid.appVersion < 0x0200) {
    throw new UnsupportedOperationError("Cannot clear PIN status on v1 cards");
  }
  const r = await op.session.transmit(cmd.resetVerification(0x80 + chvNo));
  if (r.sw !== 0x9000) {
    if (isInvalidValue(r.sw)) {
      throw new UnsupportedOperationError("Cannot clear PIN status: card refuses");
    }
    throw new CardStatusError(r.sw, `Cannot clear PIN status: card answered ${r.sw.toString(16)}`);
  }
  if (chvNo === 1) await op.session.transmit(cmd.resetVerification(cmd.PW1_OTHER));
  op.session.forgetVerification();
}

function simpleRequest(
  op: Op,
  text: string,
  kind: PinKind,
  purpose: PinRequest["purpose"],
  chvNo: 0 | 1 | 3,
  minLength: number,
) {
  return pinRequest({
    promptBytes: utf8(text),
    kind,
    purpose,
    chvNo,
    serialNo: op.ard.aid.serialNo,
    minLength,
  });
}

/** Ask for a secret; `short` builds the error for a too-short answer (empty allowed if `allowEmpty`). */
async function ask(
  op: Op,
  request: PinRequest,
  short: () => Error,
  allowEmpty = false,
): Promise<Uint8Array> {
  const v = await op.pin.get(request);
  if (v.length < request.minLength && !(allowEmpty && v.length === 0)) {
    wipe(v);
    throw short();
  }
  return v;
}

function tooShort(what: string, min: number): () => Error {
  return () =>
    new PinError(`Cannot use ${what}: shorter than ${min} characters`, { reason: "too-short" });
}

/**
 * PASSWD; afterwards, whatever the outcome, copies of the PIN it changed, reset or cleared
 * are forgotten (the Reset Code is never kept).
 */
export async function changePin(
  op: Op,
  request: ChangePinRequest,
  options: AdminOptions,
): Promise<void> {
  // stock: a leading digit is read with atoi, else OPENPGP.1–3.
  const named = /^OPENPGP\.([123])$/i.exec(request.chvRef);
  const chvNo = /^\d/.test(request.chvRef)
    ? parseInt(request.chvRef, 10)
    : named
    ? Number(named[1])
    : -1;
  try {
    await changeOnCard(op, request, chvNo, options);
  } finally {
    // stock's did_chv1..3 = 0: the next operation verifies again, also inside a held
    // transaction (the old PIN's VERIFY of T7840 must not sign for the new one)
    op.session.forgetVerification();
    if (chvNo === 3) op.pin.forget?.("admin");
    else if (chvNo === 1 || (chvNo === 2 && !(request.reset && !request.clear))) {
      op.pin.forget?.("user");
    }
  }
}

async function changeOnCard(
  op: Op,
  request: ChangePinRequest,
  chvNo: number,
  options: AdminOptions,
): Promise<void> {
  if (chvNo < 0) {
    throw new InvalidIdError(`Cannot change PIN "${request.chvRef}": unknown reference`);
  }
  if (request.clear) return await clearStatus(op, chvNo);
  if (request.reset && chvNo === 3) throw new InvalidIdError("Cannot reset the admin PIN");
  if (op.ard.aid.appVersion < 0x0200) throw new NotSupportedError("Cannot change PINs of v1 cards");
  const kdf = op.ard.extendedCapabilities.kdf ? await op.session.getData(0xf9) : undefined;
  const secrets: Uint8Array[] = [];
  // every derived copy (KDF hash, old ‖ new) is a secret too: kept for the final wipe
  const keep = (bytes: Uint8Array): Uint8Array => (secrets.push(bytes), bytes);
  const hashed = (chv: 0 | 1 | 3, pin: Uint8Array) => keep(kdfPin(kdf, chv, pin));
  try {
    if (request.reset) {
      await requireAdmin(op, options);
      if (chvNo === 2) {
        const rc = await ask(
          op,
          simpleRequest(op, "|RN|New Reset Code", "reset-code", "new", 0, 8),
          () => new BadResetCodeError("Cannot set reset code: shorter than 8 characters"),
          true,
        );
        secrets.push(rc);
        await op.session.putData(0xd3, rc.length ? hashed(0, rc) : rc);
        return;
      }
      if (chvNo !== 1) throw new InvalidIdError(`Cannot reset PIN ${chvNo}`);
      const pin = await ask(
        op,
        simpleRequest(op, "|N|New PIN", "user", "new", 1, MIN_LENGTH.user),
        tooShort("PIN", 6),
      );
      secrets.push(pin);
      await op.session.resetRetryCounter(0x02, hashed(1, pin));
      return;
    }
    if (chvNo === 2) {
      const tries = parsePwStatus(await op.session.pwStatusBytes()).tries.rc;
      if (tries === 0) throw new NoResetCodeError("Cannot unblock PIN: no reset code available");
      const rcRequest = simpleRequest(
        op,
        "|R|Please enter the Reset Code for the card",
        "reset-code",
        "verify",
        0,
        8,
      );
      const rc = await ask(
        op,
        rcRequest,
        () => new BadResetCodeError("Cannot use reset code: shorter than 8 characters"),
      );
      secrets.push(rc);
      const pin = await ask(
        op,
        simpleRequest(op, "|N|New PIN", "user", "new", 1, MIN_LENGTH.user),
        tooShort("PIN", 6),
      );
      secrets.push(pin);
      await reported(
        op,
        rcRequest,
        op.session.resetRetryCounter(0x00, keep(concat(hashed(0, rc), hashed(1, pin)))),
      );
      return;
    }
    if (chvNo !== 1 && chvNo !== 3) throw new InvalidIdError(`Cannot change PIN ${chvNo}`);
    const oldRequest = chvNo === 3
      ? await adminPinRequest(op, "current")
      : simpleRequest(op, "||Please enter the PIN", "user", "current", 1, MIN_LENGTH.user);
    const old = await ask(op, oldRequest, tooShort("PIN", oldRequest.minLength));
    secrets.push(old);
    const newRequest = chvNo === 3
      ? simpleRequest(op, "|AN|New Admin PIN", "admin", "new", 3, MIN_LENGTH.admin)
      : simpleRequest(op, "|N|New PIN", "user", "new", 1, MIN_LENGTH.user);
    const pin = await ask(op, newRequest, tooShort("PIN", newRequest.minLength));
    secrets.push(pin);
    const ref = chvNo === 3 ? cmd.PW3 : cmd.PW1_SIGN;
    const oldHashed = hashed(chvNo as 1 | 3, old);
    // VERIFY the old PIN on its own first (gnupg master, T7840: do_change_pin): the card
    // splits old ‖ new by the stored PIN's length, so a longer wrong old PIN whose start
    // matched would have changed the PIN to its surplus digits followed by the new one
    await reported(op, oldRequest, op.session.verify(ref, oldHashed));
    const body = keep(concat(oldHashed, hashed(chvNo as 1 | 3, pin)));
    await reported(op, oldRequest, op.session.changeReferenceData(ref, body));
  } finally {
    for (const s of secrets) wipe(s);
  }
}

/** Report the card's verdict on the secret in `request` to the provider. */
async function reported(op: Op, request: PinRequest, p: Promise<void>): Promise<void> {
  try {
    await p;
    op.pin.report?.(request, "accepted");
  } catch (e) {
    if (e instanceof PinError || e instanceof PinBlockedError) op.pin.report?.(request, "rejected");
    throw e;
  }
}

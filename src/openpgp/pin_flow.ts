/**
 * PIN entry for the OpenPGP application: the prompts stock scdaemon sends in
 * `INQUIRE NEEDPIN` (scd/app-openpgp.c `verify_a_chv`, `build_enter_admin_pin_prompt`,
 * `get_prompt_info`, `get_disp_name`), minimum lengths, KDF hashing, VERIFY, and reporting
 * the card's verdict to the provider. A PIN the card rejected is never sent again: the
 * error goes up and the provider is told to forget it.
 * @module
 */

import { PinBlockedError, PinError } from "../app/mod.ts";
import type { PinKind, PinProvider, PinPurpose, PinQuery, PinRequest } from "../app/mod.ts";
import { findTlv } from "../iso7816/mod.ts";
import { concat, utf8, wipe } from "../util/bytes.ts";
import type { ApplicationRelatedData } from "./ard.ts";
import { PW1_OTHER, PW1_SIGN, PW3 } from "./commands.ts";
import { kdfPin } from "./kdf.ts";
import { parsePwStatus } from "./pw_status.ts";
import type { OpenPgpSession } from "./session.ts";

/** Minimum PIN lengths scdaemon enforces before asking the card. */
export const MIN_LENGTH = { user: 6, admin: 8, resetCode: 8 } as const;

/** What the PIN helpers need about the card and the operation. */
export interface PinFlowContext {
  session: OpenPgpSession;
  ard: ApplicationRelatedData;
  pin: PinProvider;
  displaySerialNo: string;
}

/**
 * The holder name for prompts: '<' filler becomes a space and "Surname<<Given" turns
 * into "Given Surname" (`get_disp_name`). Bytes stay bytes.
 */
export function displayName(raw: Uint8Array | undefined): Uint8Array {
  if (!raw || raw.length === 0) return new Uint8Array(0);
  let split = -1;
  for (let i = 0; i + 1 < raw.length; i++) {
    if (raw[i] === 0x3c && raw[i + 1] === 0x3c) {
      split = i;
      break;
    }
  }
  const spaced = raw.map((b) => (b === 0x3c ? 0x20 : b));
  if (split < 0 || split + 2 >= raw.length) return spaced;
  return concat(spaced.subarray(split + 2), Uint8Array.of(0x20), spaced.subarray(0, split));
}

/**
 * The info block under a prompt: `\x1eNumber\x1f: <serial>%0AHolder\x1f: <name>`, plus
 * `%0ACounter\x1f: <n>` for CHV1, plus `%0A%0ARemaining attempts: <n>` when fewer than
 * three tries are left.
 */
export function promptInfo(
  options: {
    displaySerialNo: string;
    holder: Uint8Array;
    chvNo: number;
    sigCount?: number;
    remaining?: number;
  },
): Uint8Array {
  const parts = [
    utf8(`\x1eNumber\x1f: ${options.displaySerialNo}%0AHolder\x1f: `),
    options.holder,
  ];
  if (options.chvNo === 1) parts.push(utf8(`%0ACounter\x1f: ${options.sigCount ?? 0}`));
  if (options.remaining !== undefined && options.remaining < 3) {
    parts.push(utf8(`%0A%0ARemaining attempts: ${options.remaining}`));
  }
  return concat(...parts);
}

async function holderName(c: PinFlowContext): Promise<Uint8Array> {
  try {
    const cardholder = await c.session.getData(0x65);
    return displayName(cardholder ? findTlv(cardholder, 0x5b) : undefined);
  } catch {
    return new Uint8Array(0);
  }
}

/** Build a {@link PinRequest}. */
export function pinRequest(
  fields: {
    promptBytes: Uint8Array;
    kind: PinKind;
    purpose: PinPurpose;
    chvNo: 0 | 1 | 2 | 3;
    serialNo: string;
    minLength: number;
    triesLeft?: number;
    singleUse?: boolean;
  },
): PinRequest {
  const req: PinRequest = {
    prompt: new TextDecoder().decode(fields.promptBytes),
    promptBytes: fields.promptBytes,
    kind: fields.kind,
    purpose: fields.purpose,
    chvNo: fields.chvNo,
    serialNo: fields.serialNo,
    minLength: fields.minLength,
  };
  if (fields.triesLeft !== undefined) req.triesLeft = fields.triesLeft;
  if (fields.singleUse) req.singleUse = true;
  return req;
}

/** Ask the provider and enforce the minimum length (BAD_PIN without a card round trip). */
export async function askPin(provider: PinProvider, request: PinRequest): Promise<Uint8Array> {
  const pin = await provider.get(request);
  if (pin.length < request.minLength) {
    wipe(pin);
    throw new PinError(`Cannot use PIN: shorter than ${request.minLength} characters`, {
      reason: "too-short",
    });
  }
  return pin;
}

/** Hash (KDF-DO) and VERIFY `pin` for `chvNo`; reports the outcome; wipes the bytes. */
export async function presentPin(
  c: PinFlowContext,
  request: PinRequest,
  pin: Uint8Array,
  ref: number,
): Promise<void> {
  let value: Uint8Array | undefined;
  try {
    const kdf = c.ard.extendedCapabilities.kdf ? await c.session.getData(0xf9) : undefined;
    value = kdfPin(kdf, request.chvNo, pin);
    await c.session.verify(ref, value);
    c.pin.report?.(request, "accepted");
  } catch (e) {
    if (e instanceof PinError || e instanceof PinBlockedError) c.pin.report?.(request, "rejected");
    throw e;
  } finally {
    wipe(value);
    wipe(pin);
  }
}

/**
 * PW status for deciding whether a PIN can be answered without a person: the model's copy
 * when there is one (no APDU), else read. `fromModel` says which, so a prompt re-reads it.
 */
async function knownPwStatus(
  c: PinFlowContext,
): Promise<{ bytes: Uint8Array; fromModel: boolean }> {
  const known = c.session.cardState.getDo(0xc4);
  if (known) return { bytes: known, fromModel: true };
  return { bytes: await c.session.pwStatusBytes(), fromModel: false };
}

/** A request answered without a person (cache, or an answer given between transactions). */
function silentRequest(c: PinFlowContext, query: PinQuery, minLength: number): PinRequest {
  return pinRequest({
    promptBytes: new Uint8Array(0),
    kind: query.kind,
    purpose: query.purpose,
    chvNo: query.chvNo,
    serialNo: c.ard.aid.serialNo,
    minLength,
    ...(query.triesLeft !== undefined ? { triesLeft: query.triesLeft } : {}),
    ...(query.singleUse ? { singleUse: true } : {}),
  });
}

/**
 * Verify the user PIN: CHV1 (VERIFY 81, signing) or CHV2 (VERIFY 82, decipher/auth).
 * Prompt `||Please unlock the card%0A%0A<info>`; no-op if already verified in this session.
 * When the provider can answer without a person, nothing but the VERIFY goes to the card.
 */
export async function verifyUserPin(c: PinFlowContext, chvNo: 1 | 2): Promise<void> {
  const ref = chvNo === 1 ? PW1_SIGN : PW1_OTHER;
  if (c.session.verified.has(ref)) return;
  const known = await knownPwStatus(c);
  let status = parsePwStatus(known.bytes);
  const query: PinQuery = {
    kind: "user",
    purpose: "verify",
    chvNo,
    triesLeft: status.tries.pw1,
    // PW1 for one signature only (forced signature PIN): stock asks again every time
    singleUse: chvNo === 1 && !status.pw1ValidMultiple,
  };
  if (c.pin.canAnswer?.(query)) {
    const request = silentRequest(c, query, MIN_LENGTH.user);
    return await presentPin(c, request, await askPin(c.pin, request), ref);
  }
  if (known.fromModel) status = parsePwStatus(await c.session.pwStatusBytes());
  const remaining = status.tries.pw1;
  const sigCount = chvNo === 1 ? await c.session.signatureCounter() : 0;
  const info = promptInfo({
    displaySerialNo: c.displaySerialNo,
    holder: await holderName(c),
    chvNo,
    sigCount,
    remaining,
  });
  const request = pinRequest({
    promptBytes: concat(utf8("||Please unlock the card%0A%0A"), info),
    kind: "user",
    purpose: "verify",
    chvNo,
    serialNo: c.ard.aid.serialNo,
    minLength: MIN_LENGTH.user,
    triesLeft: remaining,
    singleUse: chvNo === 1 && !status.pw1ValidMultiple,
  });
  await presentPin(c, request, await askPin(c.pin, request), ref);
}

/** The admin PIN prompt and tries (`build_enter_admin_pin_prompt`); blocked → error, no prompt. */
export async function adminPinRequest(
  c: PinFlowContext,
  purpose: PinPurpose = "verify",
): Promise<PinRequest> {
  const known = await knownPwStatus(c);
  let status = parsePwStatus(known.bytes);
  const query: PinQuery = { kind: "admin", purpose, chvNo: 3, triesLeft: status.tries.pw3 };
  const silent = c.pin.canAnswer?.(query) ?? false;
  if (!silent && known.fromModel) status = parsePwStatus(await c.session.pwStatusBytes());
  const remaining = status.tries.pw3;
  if (remaining === 0) {
    throw new PinBlockedError("Cannot verify admin PIN: card is permanently locked");
  }
  if (silent) return silentRequest(c, query, MIN_LENGTH.admin);
  const info = promptInfo({
    displaySerialNo: c.displaySerialNo,
    holder: await holderName(c),
    chvNo: 3,
    remaining,
  });
  return pinRequest({
    promptBytes: concat(utf8("|A|Please enter the Admin PIN%0A%0A"), info),
    kind: "admin",
    purpose,
    chvNo: 3,
    serialNo: c.ard.aid.serialNo,
    minLength: MIN_LENGTH.admin,
    triesLeft: remaining,
  });
}

/** Verify the admin PIN (VERIFY 83) unless already verified in this session. */
export async function verifyAdminPin(c: PinFlowContext): Promise<void> {
  if (c.session.verified.has(PW3)) return;
  const request = await adminPinRequest(c);
  await presentPin(c, request, await askPin(c.pin, request), PW3);
}

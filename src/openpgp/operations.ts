/**
 * The card operations behind PKSIGN, PKAUTH, PKDECRYPT, CHECKPIN, READKEY and KEYINFO
 * (scd/app-openpgp.c `do_sign`, `do_auth`, `do_decipher`, `do_check_pin`, `do_readkey`,
 * `do_with_keygrip`), in stock's order of checks: digest first, then the key reference,
 * then the PIN, then the card.
 * @module
 */

import type {
  AuthRequest,
  CheckPinRequest,
  DecipherRequest,
  DecipherResult,
  KeyInfo,
  SignRequest,
} from "../app/mod.ts";
import {
  GeneralError,
  InvalidIdError,
  InvalidValueError,
  NoObjectError,
  NotFoundError,
  NotSupportedError,
  PinBlockedError,
} from "../app/mod.ts";
import { publicKeyAlgoString } from "../formats/mod.ts";
import type { ApplicationRelatedData } from "./ard.ts";
import {
  authCardInput,
  decipherCardInput,
  decipherResult,
  signCardInput,
  signDigest,
} from "./crypto_input.ts";
import {
  checkKeyIdStr,
  isKeygrip,
  openPgpSlot,
  type Slot,
  SLOT_USAGE,
  slotKeyRef,
} from "./key_ref.ts";
import type { Op } from "./op.ts";
import { verifyAdminPin, verifyUserPin } from "./pin_flow.ts";
import { parsePwStatus } from "./pw_status.ts";

/** gnupg RSA_SMALL_SIZE_OP: RSA results over 2048 bits get an extended Le. */
export const RSA_SMALL_SIZE_OP = 2048;

/** Extended Le for RSA results over 2048 bits on extended-length cards. */
export function rsaLe(ard: ApplicationRelatedData, slot: Slot): number | undefined {
  const attr = ard.algorithmAttributes[slot];
  if (
    attr.type === "rsa" && attr.nBits > RSA_SMALL_SIZE_OP &&
    ard.historical?.capabilities.extendedLength
  ) {
    return attr.nBits / 8;
  }
  return undefined;
}

/** `check_keyidstr`, reading the grips only when the id is a keygrip. */
export async function checkKeyId(
  op: Op,
  idStr: string,
  options: { keyNo: 0 | 1 | 2 | 3; allowAuth?: boolean },
): Promise<{ useAuth: boolean }> {
  const grips = isKeygrip(idStr.slice(0, 40)) ? (await op.keys()).map((k) => k?.keygrip) : [];
  return checkKeyIdStr(
    idStr,
    { serialNo: op.serialNo, grips, fingerprints: op.ard.fingerprints },
    options,
  );
}

/** Slot for a READKEY id: OPENPGP.n or a keygrip of this card. */
export async function readKeySlot(op: Op, keyRef: string): Promise<Slot> {
  const slot = openPgpSlot(keyRef);
  if (slot !== undefined) return slot;
  if (keyRef.length === 40) {
    const hit = (await op.keys()).find((k) => k?.keygrip === keyRef);
    if (hit) return hit.slot;
  }
  throw new InvalidIdError(`Cannot read key "${keyRef}": unknown key reference`);
}

/** PKSIGN: PSO:CDS with PW1 (81), or INTERNAL AUTHENTICATE for the auth key. */
export async function sign(op: Op, request: SignRequest): Promise<Uint8Array> {
  const isV2 = op.ard.aid.appVersion >= 0x0200;
  const digest = signDigest(request.hash, request.data, isV2);
  const slot = openPgpSlot(request.keyRef);
  const useAuth = slot === 0
    ? false
    : slot === 2
    ? true
    : (await checkKeyId(op, request.keyRef, { keyNo: 1, allowAuth: true })).useAuth;
  const attr = op.ard.algorithmAttributes[useAuth ? 2 : 0];
  const input = signCardInput(request.hash, digest, {
    withDigestInfo: useAuth || attr.type === "rsa",
    isV2,
  });
  if (useAuth) return await authenticate(op, input);
  await verifyUserPin(op, 1);
  await announceTouch(op, 0);
  return await op.session.computeSignature(input, rsaLe(op.ard, 0) ?? "max");
}

/** PKAUTH: INTERNAL AUTHENTICATE with PW1 (82); no data = 2.4 challenge-response. */
export async function auth(op: Op, request: AuthRequest): Promise<Uint8Array> {
  if (request.data.length === 0) return await challengeResponse(op, request.keyRef);
  if (openPgpSlot(request.keyRef) !== 2) await checkKeyId(op, request.keyRef, { keyNo: 3 });
  return await authenticate(op, request.data, request.raw ?? false);
}

/**
 * 2.4 `PKAUTH --challenge-response`: sign a random challenge with OPENPGP.3 and verify
 * the answer here; the command layer then sends no data.
 */
async function challengeResponse(op: Op, keyRef: string): Promise<Uint8Array> {
  // loaded on first use: its curve library is not needed to start the daemon
  const { makeChallenge, verifyChallenge } = await import("./challenge.ts");
  const key = (await op.keys())[2];
  if (!key) throw new NoObjectError("Cannot authenticate: no authentication key");
  const challenge = makeChallenge(op.ard.algorithmAttributes[2]);
  if (openPgpSlot(keyRef) !== 2) await checkKeyId(op, keyRef, { keyNo: 3 });
  await verifyUserPin(op, 2);
  await announceTouch(op, 2);
  const sig = await op.session.internalAuthenticate(challenge, rsaLe(op.ard, 2) ?? "max");
  verifyChallenge(key.publicKey, challenge, sig);
  return sig;
}

/** do_auth after the key check: reshape, PW1 (82), INTERNAL AUTHENTICATE. */
async function authenticate(op: Op, data: Uint8Array, raw = false): Promise<Uint8Array> {
  const input = raw ? data : authCardInput(data, op.ard.algorithmAttributes[2]);
  await verifyUserPin(op, 2);
  const caps = op.ard.historical?.capabilities;
  if (input.length > 255 && !caps?.extendedLength && !caps?.commandChaining) {
    throw new InvalidValueError(`Cannot authenticate: ${input.length} bytes need extended length`);
  }
  await announceTouch(op, 2);
  return await op.session.internalAuthenticate(input, rsaLe(op.ard, 2) ?? "max");
}

/** PKDECRYPT: key check, PW1 (82), PSO:DECIPHER; always padding 0 (`APP_DECIPHER_INFO_NOPAD`). */
export async function decipher(op: Op, request: DecipherRequest): Promise<DecipherResult> {
  if (request.data.length === 0) throw new InvalidValueError("Cannot decipher: no data");
  if (openPgpSlot(request.keyRef) !== 1) await checkKeyId(op, request.keyRef, { keyNo: 2 });
  await verifyUserPin(op, 2);
  const attr = op.ard.algorithmAttributes[1];
  const input = decipherCardInput(request.data, attr);
  const le = attr.type === "rsa" && op.ard.historical?.capabilities.extendedLength &&
      (input.length > 254 || attr.nBits > RSA_SMALL_SIZE_OP)
    ? attr.nBits / 8
    : "max";
  await announceTouch(op, 1);
  const out = await op.session.decipher(input, le);
  return { plaintext: decipherResult(out, attr), padding: 0 };
}

/**
 * Tells the client when the key in `slot` makes the card wait for a button press: its UIF DO
 * (D6–D8, spec 3.4 §4.4.3.6) has a first byte other than 00, on a card with the button
 * feature (DO 7F74, stock's `extcap.has_button`). Stock shows the prompt only when its own
 * CCID driver sees the card's time extension, which PC/SC hides (docs/pin-policy.md). 3.x
 * cards list UIF inside DO 6E; one that keeps it apart is read once per card model.
 */
async function announceTouch(op: Op, slot: Slot): Promise<void> {
  if (!op.ard.hasButton || !op.ctx.touchPending) return;
  const uif = op.ard.uif[slot] ?? await op.session.getData(0xd6 + slot);
  if (uif !== undefined && uif.length > 0 && uif[0] !== 0) op.ctx.touchPending();
}

/** CHECKPIN: `<serial>[CHV3]` checks the admin PIN (only with 3 tries left), else PW1. */
export async function checkPin(op: Op, request: CheckPinRequest): Promise<void> {
  await checkKeyId(op, request.idStr, { keyNo: 0 });
  // CHECKPIN always verifies afresh, as stock does (every gpg-card `verify` asks on 2.4.7,
  // docs/multi-card.md), even when a burst hold kept this session verified
  op.session.forgetVerification();
  const id = request.idStr;
  if (id.slice(32) === "[CHV3]" || id.slice(40) === "[CHV3]") {
    const tries = parsePwStatus(await op.session.pwStatusBytes()).tries.pw3;
    if (tries === 0) {
      throw new PinBlockedError("Cannot check admin PIN: card is permanently locked");
    }
    if (tries < 3) throw new GeneralError("Cannot check admin PIN: fewer than 3 tries left");
    await verifyAdminPin(op);
    return;
  }
  // verify_chv2: CHV2 when a decryption or authentication key exists, else CHV1.
  const keys = await op.keys();
  await verifyUserPin(op, keys[1] || keys[2] ? 2 : 1);
}

/** Present keys with grips (KEYINFO, keygrip lookups). */
export async function listKeys(op: Op): Promise<KeyInfo[]> {
  const out: KeyInfo[] = [];
  for (const k of await op.keys()) {
    if (!k) continue;
    out.push({
      keygrip: k.keygrip,
      keyRef: slotKeyRef(k.slot),
      usage: SLOT_USAGE[k.slot],
      created: op.ard.generationTimes[k.slot],
      algo: publicKeyAlgoString(k.publicKey),
    });
  }
  return out;
}

/**
 * READCERT (`do_readcert`): OPENPGP.3 (or the authentication key's grip) is DO 7F21 as the
 * card model has it, empty = NOT_FOUND; OPENPGP.1 and .2 (or their grips) need a v3 card and
 * are read with SELECT DATA (occurrence 2 and 1), a refused read being NOT_FOUND; an empty
 * one is an empty answer, as stock's.
 */
export async function readCertificate(op: Op, certId: string): Promise<Uint8Array> {
  const slot = isKeygrip(certId)
    ? (await op.keys()).findIndex((k) => k?.keygrip === certId.toUpperCase())
    : openPgpSlot(certId) ?? -1;
  if (slot < 0) throw new InvalidIdError(`Cannot read certificate "${certId}"`);
  if (slot === 2) {
    const cert = await op.session.getData(0x7f21);
    if (!cert || cert.length === 0) throw new NotFoundError("Cannot read certificate: none stored");
    return cert;
  }
  if (op.ard.aid.appVersion < 0x0300) {
    throw new NotSupportedError(`Cannot read certificate "${certId}": card version below 3`);
  }
  const cert = await op.session.certificateAt(slot === 0 ? 2 : 1);
  if (cert === undefined) throw new NotFoundError(`Cannot read certificate "${certId}"`);
  return cert;
}

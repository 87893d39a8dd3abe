/**
 * SETATTR and key-attribute changes of the OpenPGP application (scd/app-openpgp.c
 * `do_setattr`, `change_keyattr`, `change_rsa_keyattr`, `change_keyattr_from_string`).
 * Key import/generation live in key_admin.ts, PASSWD in passwd.ts.
 * @module
 */

import type { SetAttrRequest } from "../app/mod.ts";
import {
  AccessDeniedError,
  CardDataError,
  InvalidDataError,
  InvalidIdError,
  InvalidNameError,
  InvalidObjectError,
  NotSupportedError,
  PubkeyAlgoError,
  TooLargeError,
  TooShortError,
  WrongPubkeyAlgoError,
} from "../app/mod.ts";
import { curveOid, findCurve } from "../formats/mod.ts";
import { concat, utf8, wipe } from "../util/bytes.ts";
import type { Op } from "./op.ts";
import { PW3 } from "./commands.ts";
import { kdfPin } from "./kdf.ts";
import { openPgpSlot, type Slot } from "./key_ref.ts";
import { adminPinRequest, askPin, verifyAdminPin, verifyUserPin } from "./pin_flow.ts";

/** What the admin operations need from the application. */
export interface AdminOptions {
  /** false with `--deny-admin`. */
  allowAdmin: boolean;
}

/** `verify_chv3`: admin commands must be allowed, then PW3. */
export async function requireAdmin(op: Op, options: AdminOptions): Promise<void> {
  if (!options.allowAdmin) {
    throw new AccessDeniedError("Cannot run admin command: admin commands are disabled");
  }
  await verifyAdminPin(op);
}

interface AttrSpec {
  tag: number;
  /** 0 none, 2 user PIN (82), 3 admin PIN. */
  chv: 0 | 2 | 3;
  needV2?: boolean;
  needV3?: boolean;
  special?: "uif" | "kdf" | "keyattr" | "cert12" | "attest";
}

const SETATTR: Record<string, AttrSpec> = {
  "DISP-NAME": { tag: 0x5b, chv: 3 },
  "LOGIN-DATA": { tag: 0x5e, chv: 3 },
  "DISP-LANG": { tag: 0x5f2d, chv: 3 },
  "DISP-SEX": { tag: 0x5f35, chv: 3 },
  "PUBKEY-URL": { tag: 0x5f50, chv: 3 },
  "CHV-STATUS-1": { tag: 0xc4, chv: 3 },
  "CA-FPR-1": { tag: 0xca, chv: 3 },
  "CA-FPR-2": { tag: 0xcb, chv: 3 },
  "CA-FPR-3": { tag: 0xcc, chv: 3 },
  "PRIVATE-DO-1": { tag: 0x0101, chv: 2 },
  "PRIVATE-DO-2": { tag: 0x0102, chv: 3 },
  "PRIVATE-DO-3": { tag: 0x0103, chv: 2 },
  "PRIVATE-DO-4": { tag: 0x0104, chv: 3 },
  "CERT-1": { tag: 0x7f21, chv: 3, needV2: true, needV3: true, special: "cert12" },
  "CERT-2": { tag: 0x7f21, chv: 3, needV2: true, needV3: true, special: "cert12" },
  "CERT-3": { tag: 0x7f21, chv: 3, needV2: true },
  "SM-KEY-ENC": { tag: 0xd1, chv: 3, needV2: true },
  "SM-KEY-MAC": { tag: 0xd2, chv: 3, needV2: true },
  "KEY-ATTR": { tag: 0, chv: 0, needV2: true, special: "keyattr" },
  "AESKEY": { tag: 0xd5, chv: 3, needV2: true },
  "UIF-1": { tag: 0xd6, chv: 3, needV2: true, special: "uif" },
  "UIF-2": { tag: 0xd7, chv: 3, needV2: true, special: "uif" },
  "UIF-3": { tag: 0xd8, chv: 3, needV2: true, special: "uif" },
  "KDF": { tag: 0xf9, chv: 0, needV2: true, special: "kdf" },
  // gnupg master (2.5.12) do_setattr: a YubiKey-specific pseudo attribute, Admin PIN first
  "GEN-ATTST": { tag: 0, chv: 3, needV2: true, special: "attest" },
};

/** SETATTR `name` to `value`. */
export async function setAttr(
  op: Op,
  request: SetAttrRequest,
  options: AdminOptions,
): Promise<void> {
  const spec = SETATTR[request.name];
  if (!spec) throw new InvalidNameError(`Cannot set attribute ${request.name}: unknown name`);
  const version = op.ard.aid.appVersion;
  if ((spec.needV2 && version < 0x0200) || (spec.needV3 && version < 0x0300)) {
    throw new NotSupportedError(`Cannot set attribute ${request.name}: card version too old`);
  }
  if (spec.special === "uif" && !op.ard.hasButton) {
    throw new InvalidObjectError(`Cannot set attribute ${request.name}: card has no button`);
  }
  if (spec.special === "keyattr") {
    await changeKeyAttrFromString(op, { value: request.value }, options);
    return;
  }
  if (spec.special === "cert12") {
    throw new NotSupportedError(
      `Cannot set attribute ${request.name}: SELECT DATA is not implemented`,
    );
  }
  if (spec.chv === 2) await verifyUserPin(op, 2);
  if (spec.chv === 3) await requireAdmin(op, options);
  if (spec.special === "attest") {
    // the value names the attested key; anything else is INV_ID, after the PIN as in stock
    const slot = openPgpSlot(new TextDecoder().decode(request.value));
    if (slot === undefined) throw new InvalidIdError("Cannot generate attestation: bad key id");
    await op.session.generateAttestation(slot);
    return;
  }
  let value = request.value;
  if (spec.special === "kdf") value = await prepareKdfChange(op, value, options);
  try {
    await op.session.putData(spec.tag, value);
  } finally {
    // do_setattr's special 4: every verification is forgotten once the KDF-DO went out
    if (spec.special === "kdf") forgetAllPins(op);
  }
}

/** Stock's `did_chv1 = did_chv2 = did_chv3 = 0` plus its PIN cache flush. */
function forgetAllPins(op: Op): void {
  op.pin.forget?.("user");
  op.pin.forget?.("admin");
}

/**
 * The KDF switch of `do_setattr` (special 4): on cards other than YubiKey/Gnuk the admin
 * PIN is re-keyed to the new form (CHANGE REFERENCE DATA 83 old→default, VERIFY 83),
 * PW1 reset to its default (RESET RETRY COUNTER P1=02) and the reset code cleared; the
 * defaults are "123456"/"12345678" for a 3-byte value (KDF off) or the initial hashes
 * in a 110-byte KDF-DO. Returns the value to store in F9.
 */
async function prepareKdfChange(
  op: Op,
  value: Uint8Array,
  options: AdminOptions,
): Promise<Uint8Array> {
  if (op.cardType === "yubikey" || op.cardType === "gnuk") {
    await requireAdmin(op, options);
    return value.length === 3 && op.cardType === "gnuk" ? new Uint8Array(0) : value;
  }
  if (value.length !== 3 && value.length !== 110) {
    throw new InvalidObjectError(
      `Cannot set KDF: value of ${value.length} bytes, expected 3 or 110`,
    );
  }
  if (!options.allowAdmin) {
    throw new AccessDeniedError("Cannot set KDF: admin commands are disabled");
  }
  // the new default PINs (or their KDF hashes): copies of `value`, which the caller wipes
  const [user, adminPin] = value.length === 3
    ? [utf8("123456"), utf8("12345678")]
    : [value.slice(44, 76), value.slice(78, 110)];
  try {
    const request = await adminPinRequest(op, "current");
    const old = await askPin(op.pin, request);
    const kdf = op.ard.extendedCapabilities.kdf ? await op.session.getData(0xf9) : undefined;
    const oldValue = kdfPin(kdf, 3, old);
    const body = concat(oldValue, adminPin);
    try {
      await op.session.changeReferenceData(PW3, body);
      op.pin.report?.(request, "accepted");
    } catch (e) {
      op.pin.report?.(request, "rejected");
      throw e;
    } finally {
      wipe(old);
      wipe(oldValue);
      wipe(body);
    }
    await op.session.verify(PW3, adminPin);
    await op.session.resetRetryCounter(0x02, user);
  } finally {
    wipe(user);
    wipe(adminPin);
  }
  await op.session.putData(0xd3, new Uint8Array(0));
  return value;
}

/** Either a SETATTR KEY-ATTR value "--force <key> <algo> <rsaNNNN|curve>" or slot + algo name. */
export type KeyAttrChange = { value: Uint8Array } | { keyRef: string; algo: string };

/** `change_keyattr_from_string`: validate, then PUT DATA C1–C3 under PW3. */
export async function changeKeyAttrFromString(
  op: Op,
  change: KeyAttrChange,
  options: AdminOptions,
): Promise<void> {
  let slot: number;
  let algo: number;
  let nbits = 0;
  let curveName: string | undefined;
  if ("value" in change) {
    const text = new TextDecoder().decode(change.value);
    const m = /^--force\s+(-?\d+)\s+(-?\d+)\s+/.exec(text);
    if (!m || m[0].length < 12) {
      throw new InvalidDataError('Cannot change key attribute: expected "--force <key> <algo> …"');
    }
    slot = Number(m[1]) - 1;
    algo = Number(m[2]);
    const rest = text.slice(m[0].length);
    if (algo === 1) nbits = parseInt(rest.slice(3), 10) || 0;
    else if (algo === 18 || algo === 19 || algo === 22) {
      curveName = rest;
      if (!findCurve(rest)) {
        throw new InvalidDataError(`Cannot change key attribute: unknown curve "${rest}"`);
      }
    } else {throw new PubkeyAlgoError(
        `Cannot change key attribute: algorithm ${algo} not supported`,
      );}
  } else {
    const s = openPgpSlot(change.keyRef);
    if (s === undefined) {
      throw new InvalidIdError(`Cannot change key attribute of "${change.keyRef}"`);
    }
    slot = s;
    const rsa = /^rsa(\d+)$/.exec(change.algo);
    if (rsa) [algo, nbits] = [1, Number(rsa[1])];
    else if (/^(dsa|elg)\d/.test(change.algo)) {
      throw new PubkeyAlgoError(`Cannot use ${change.algo} on a card`);
    } else {
      const curve = findCurve(change.algo);
      if (!curve) {
        throw new InvalidDataError(
          `Cannot change key attribute: unknown algorithm "${change.algo}"`,
        );
      }
      curveName = change.algo;
      algo = curve.requiredAlgo ?? (slot === 1 ? 18 : 19);
    }
  }
  if (slot < 0 || slot > 2) {
    throw new InvalidIdError(`Cannot change key attribute of key ${slot + 1}`);
  }
  let attr: Uint8Array;
  if (algo === 1) {
    if (nbits < 1024) throw new TooShortError(`Cannot use RSA with ${nbits} bits`);
    if (nbits > 4096) throw new TooLargeError(`Cannot use RSA with ${nbits} bits`);
    attr = rsaAttributeBytes(op.ard.algorithmAttributes[slot as Slot].raw, nbits);
  } else {
    if ((slot === 1) !== (algo === 18)) {
      throw new WrongPubkeyAlgoError(`Cannot use algorithm ${algo} in key slot ${slot + 1}`);
    }
    attr = concat(Uint8Array.of(algo), curveOid(findCurve(curveName!)!));
  }
  await changeKeyAttr(op, slot as Slot, attr, options);
}

/** `change_rsa_keyattr`: keep e size and format of an RSA attribute, round bits up to 32. */
function rsaAttributeBytes(current: Uint8Array, nbits: number): Uint8Array {
  if (current.length < 6) {
    throw new CardDataError("Cannot change key attribute: current attributes too short");
  }
  const bits = Math.ceil(nbits / 32) * 32;
  if (current[0] === 1) {
    const out = current.slice();
    out[1] = bits >> 8;
    out[2] = bits & 0xff;
    return out;
  }
  return Uint8Array.of(1, bits >> 8, bits & 0xff, 0, 32, 0);
}

/** `change_keyattr`: PW3, PUT DATA C1+slot, reread the ARD; stock then forgets all PIN state. */
export async function changeKeyAttr(
  op: Op,
  slot: Slot,
  attr: Uint8Array,
  options: AdminOptions,
): Promise<void> {
  await requireAdmin(op, options);
  try {
    await op.session.putData(0xc1 + slot, attr);
  } finally {
    forgetAllPins(op); // whether the card took the attribute or not, as change_keyattr
  }
  op.ard = await op.session.applicationRelatedData();
  op.session.forgetVerification();
}

/**
 * GETATTR and LEARN output of the OpenPGP application, line for line as stock scdaemon
 * emits them (scd/app-openpgp.c `do_getattr`, `do_learn_status`, `send_keypair_info`;
 * scd/app.c `write_learn_status_core`). scdaemon-protocol.md §3 GETATTR, §4.
 *
 * Deviation: a DO the card does not have is skipped during LEARN (stock aborts LEARN for
 * a missing name/URL DO); a single GETATTR for it still fails with NoObjectError.
 * @module
 */

import { InvalidNameError, NoObjectError, NotSupportedError } from "../app/mod.ts";
import type { StatusSink } from "../app/mod.ts";
import type { PublicKey } from "../formats/mod.ts";
import { publicKeyAlgoString } from "../formats/mod.ts";
import { findTlv } from "../iso7816/mod.ts";
import { toHex } from "../util/bytes.ts";
import { manufacturerName } from "./aid.ts";
import {
  algorithmString,
  type GnupgFlavor,
  keyAttrText,
  parseAlgorithmAttributes,
} from "./algorithm.ts";
import { type ApplicationRelatedData, extcapText, unwrap } from "./ard.ts";
import { type Slot, SLOT_USAGE } from "./key_ref.ts";
import { chvStatusText } from "./pw_status.ts";
import type { OpenPgpSession } from "./session.ts";

/** A key present in a slot. */
export interface SlotKey {
  slot: Slot;
  publicKey: PublicKey;
  /** 40 uppercase hex digits. */
  keygrip: string;
}

/** What attribute output needs. */
export interface AttrContext {
  session: OpenPgpSession;
  ard: ApplicationRelatedData;
  status: StatusSink;
  flavor: GnupgFlavor;
  serialNo: string;
  displaySerialNo: string;
  /** CARDTYPE for 2.4 LEARN ("yubikey", "gnuk", …), if recognised. */
  cardType?: string;
  /** CARDVERSION for 2.4 LEARN (printed as %X), if known. */
  cardVersion?: number;
  /** Public keys of slots 0..2 (undefined = empty slot). */
  keys(): Promise<(SlotKey | undefined)[]>;
}

/** Simple DOs whose raw value is the status argument. */
const RAW_DOS: Record<string, number> = {
  "DISP-NAME": 0x5b,
  "LOGIN-DATA": 0x5e,
  "DISP-LANG": 0x5f2d,
  "DISP-SEX": 0x5f35,
  "PUBKEY-URL": 0x5f50,
  "AID": 0x4f,
  "PRIVATE-DO-1": 0x0101,
  "PRIVATE-DO-2": 0x0102,
  "PRIVATE-DO-3": 0x0103,
  "PRIVATE-DO-4": 0x0104,
  "KDF": 0xf9,
  "UIF-1": 0xd6,
  "UIF-2": 0xd7,
  "UIF-3": 0xd8,
};

/** Names only gnupg 2.4 knows. */
const NAMES_24 = new Set(["UIF-1", "UIF-2", "UIF-3", "UIF", "KEY-STATUS", "KEY-ATTR-INFO"]);

/**
 * Read a DO that may live inside 65 (cardholder data) or 6E, else directly. `child` says it
 * came out of a constructed DO: stock prints an empty child as a bare line but prints
 * nothing for an empty DO read on its own (`get_one_do` returns no buffer for it).
 */
async function readDo(
  c: AttrContext,
  tag: number,
): Promise<{ value?: Uint8Array; child: boolean }> {
  if (tag === 0x5b || tag === 0x5f2d || tag === 0x5f35) {
    const ch = await c.session.getData(0x65);
    const v = ch && findTlv(ch, tag);
    if (v) return { value: v, child: true };
  }
  if (tag === 0x4f || tag === 0xd6 || tag === 0xd7 || tag === 0xd8) {
    const v = findTlv(c.ard.raw, tag);
    if (v) return { value: v, child: true };
  }
  const value = await c.session.getData(tag);
  return value ? { value, child: false } : { child: false };
}

/** One line per non-zero fingerprint (`send_fpr_if_not_null`). */
async function emitFprs(
  c: AttrContext,
  keyword: string,
  fprs: readonly Uint8Array[],
): Promise<void> {
  for (const [i, f] of fprs.entries()) {
    if (f.some((b) => b !== 0)) await c.status.emit(keyword, String(i + 1), toHex(f));
  }
}

/** Emit the status line(s) of GETATTR `name`; unknown names throw {@link InvalidNameError}. */
export async function emitAttr(c: AttrContext, name: string): Promise<void> {
  if (c.flavor === "2.2" && NAMES_24.has(name)) {
    throw new InvalidNameError(`Cannot get attribute ${name}`);
  }
  const tag = RAW_DOS[name];
  if (tag !== undefined) {
    const { value, child } = await readDo(c, tag);
    if (!value) {
      throw new NoObjectError(
        `Cannot get attribute ${name}: DO ${tag.toString(16).toUpperCase()} not found`,
      );
    }
    if (value.length > 0 || child) await c.status.emit(name, value);
    return;
  }
  const ard = c.ard;
  switch (name) {
    case "KEY-FPR":
      await emitFprs(c, name, ard.fingerprints);
      return;
    case "CA-FPR":
      await emitFprs(c, name, ard.caFingerprints);
      return;
    case "KEY-TIME":
      for (const [i, t] of ard.generationTimes.entries()) {
        if (t) await c.status.emit(name, String(i + 1), String(t));
      }
      return;
    case "KEY-ATTR":
      for (const [i, a] of ard.algorithmAttributes.entries()) {
        await c.status.emitRaw(name, keyAttrText(i + 1, a, c.flavor));
      }
      return;
    case "CHV-STATUS":
      await c.status.emit(name, chvStatusText(await c.session.pwStatusBytes()));
      return;
    case "SIG-COUNTER": {
      const t = await c.session.getData(0x7a, { fresh: true });
      const v = t && findTlv(t, 0x93);
      if (!v) throw new NoObjectError("Cannot get attribute SIG-COUNTER: DO 93 not found");
      await c.status.emit(name, String(v.length === 3 ? (v[0]! << 16) | (v[1]! << 8) | v[2]! : 0));
      return;
    }
    case "SERIALNO":
      await c.status.emitRaw(name, c.serialNo);
      return;
    case "EXTCAP":
      await c.status.emit(name, extcapText(ard));
      return;
    case "$AUTHKEYID":
    case "$ENCRKEYID":
    case "$SIGNKEYID":
      await c.status.emit(
        name,
        { "$AUTHKEYID": "OPENPGP.3", "$ENCRKEYID": "OPENPGP.2", "$SIGNKEYID": "OPENPGP.1" }[name],
      );
      return;
    case "$DISPSERIALNO":
      await c.status.emit(name, c.displaySerialNo);
      return;
    case "MANUFACTURER":
      await c.status.emitRaw(
        name,
        `${ard.aid.manufacturer} ${manufacturerName(ard.aid.manufacturer)}`,
      );
      return;
    case "UIF":
      for (const n of ["UIF-1", "UIF-2", "UIF-3"]) await emitAttr(c, n);
      return;
    case "KEY-STATUS":
      await emitKeyStatus(c);
      return;
    case "KEY-ATTR-INFO":
      await emitKeyAttrInfo(c);
      return;
    case "APPTYPE":
      await c.status.emitRaw(name, "openpgp");
      return;
  }
  throw new InvalidNameError(`Cannot get attribute ${name}: unknown name`);
}

async function emitKeyStatus(c: AttrContext): Promise<void> {
  const de = findTlv(c.ard.raw, 0xde) ?? await c.session.getData(0xde);
  if (!de) throw new NotSupportedError("Cannot get attribute KEY-STATUS: DO DE not found");
  for (let i = 0; i + 1 < de.length; i += 2) {
    await c.status.emitRaw("KEY-STATUS", `OPENPGP.${de[i]} ${de[i + 1]}`);
  }
}

/** DO FA: a list of C1/C2/C3/DA attribute entries (1-byte tag and length, as gnupg reads it). */
async function emitKeyAttrInfo(c: AttrContext): Promise<void> {
  const raw = await c.session.getData(0xfa);
  if (!raw || raw.length < 2) {
    throw new NoObjectError("Cannot get attribute KEY-ATTR-INFO: DO FA not found");
  }
  const value = unwrap(raw, 0xfa);
  for (let i = 0; i + 2 <= value.length;) {
    const tag = value[i]!;
    const len = value[i + 1]!;
    i += 2;
    if (i + len > value.length) break;
    if (tag >= 0xc1) {
      const keyRef = tag === 0xda ? 0x81 : tag - 0xc1 + 1;
      const attr = parseAlgorithmAttributes(value.subarray(i, i + len));
      await c.status.emitRaw("KEY-ATTR-INFO", `OPENPGP.${keyRef} ${algorithmString(attr)}`);
    }
    i += len;
  }
}

/** The KEYPAIRINFO line of one key (2.4: with time and algorithm; 2.2: grip, id, usage). */
export async function emitKeyPairInfo(c: AttrContext, key: SlotKey): Promise<void> {
  const id = `OPENPGP.${key.slot + 1}`;
  const usage = SLOT_USAGE[key.slot];
  if (c.flavor === "2.2") {
    await c.status.emit("KEYPAIRINFO", key.keygrip, id, usage);
    return;
  }
  const time = c.ard.generationTimes[key.slot] ?? 0;
  await c.status.emitRaw(
    "KEYPAIRINFO",
    `${key.keygrip} ${id} ${usage} ${time} ${publicKeyAlgoString(key.publicKey)}`,
  );
}

async function optional(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof NoObjectError) && !(e instanceof NotSupportedError)) throw e;
  }
}

/**
 * LEARN body: 2.4 header (CARDTYPE, CARDVERSION, APPTYPE, APPVERSION; not with `--keypairinfo`; 2.2
 * sends only APPTYPE), then the attributes in stock order and one KEYPAIRINFO per key.
 */
export async function emitLearn(
  c: AttrContext,
  options: { keyPairInfoOnly?: boolean } = {},
): Promise<void> {
  if (!options.keyPairInfoOnly) {
    if (c.flavor === "2.4" && c.cardType) await c.status.emitRaw("CARDTYPE", c.cardType);
    if (c.flavor === "2.4" && c.cardVersion) {
      await c.status.emitRaw("CARDVERSION", c.cardVersion.toString(16).toUpperCase());
    }
    await c.status.emitRaw("APPTYPE", "openpgp");
    if (c.flavor === "2.4") {
      await c.status.emitRaw("APPVERSION", c.ard.aid.appVersion.toString(16).toUpperCase());
    }
  }
  const x = c.ard.extendedCapabilities;
  await emitAttr(c, "EXTCAP");
  await emitAttr(c, "MANUFACTURER");
  for (const n of ["DISP-NAME", "DISP-LANG", "DISP-SEX", "PUBKEY-URL", "LOGIN-DATA"]) {
    await optional(emitAttr(c, n));
  }
  await emitAttr(c, "KEY-FPR");
  if (c.ard.aid.appVersion > 0x0100) await emitAttr(c, "KEY-TIME");
  await emitAttr(c, "CA-FPR");
  await emitAttr(c, "CHV-STATUS");
  await optional(emitAttr(c, "SIG-COUNTER"));
  if (x.kdf) await optional(emitAttr(c, "KDF"));
  if (c.flavor === "2.4" && c.ard.hasButton) await optional(emitAttr(c, "UIF"));
  if (x.privateDos) {
    await optional(emitAttr(c, "PRIVATE-DO-1"));
    await optional(emitAttr(c, "PRIVATE-DO-2"));
    // PRIVATE-DO-3/4 need PW1/PW3 verified; a LEARN never verifies, so stock's did_chv2 /
    // did_chv3 are always false here.
  }
  for (const key of await c.keys()) if (key) await emitKeyPairInfo(c, key);
}

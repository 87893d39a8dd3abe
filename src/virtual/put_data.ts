/**
 * 7.2.8 PUT DATA (INS DA) on the virtual card: which tags are writable, under which PIN, with
 * which length limits (spec 3.4 §4.4.2 "DOs for PUT DATA"), and the side effects of writing
 * algorithm attributes and the KDF-DO.
 * @module
 */

import { fromHex, toHex } from "../util/bytes.ts";
import {
  SW_BAD_DATA,
  SW_CONDITIONS_OF_USE,
  SW_SECURITY_STATUS,
  SW_WRONG_LENGTH,
} from "../iso7816/sw.ts";
import { MAX_SPECIAL_DO, UIF_BUTTON } from "./capabilities.ts";
import { type CommandApdu, StatusError } from "./command_apdu.ts";
import { type AppletContext, NO_DATA } from "./context.ts";
import { supportsAttributes } from "./crypto.ts";
import { hasDataObject, TAG_CARDHOLDER_CERT } from "./data_objects.ts";
import { kdfDefaultPins, parseKdfDo } from "./kdf.ts";
import { putResettingCode } from "./pins.ts";
import { algorithmNameOf, type CardProfile, SLOT_NAMES } from "./profiles/mod.ts";
import { type CardStore, MAX_TRIES } from "./store.ts";

type Writer = (value: Uint8Array, ctx: AppletContext) => void;

interface Writable {
  /** PIN reference whose verification the write needs: PW1 (82) or PW3. */
  access: "pw1Other" | "pw3";
  write: Writer;
}

function lengthIn(value: Uint8Array, min: number, max: number): void {
  if (value.length < min || value.length > max) {
    throw new StatusError(
      SW_WRONG_LENGTH,
      `Cannot write: length ${value.length} not in ${min}..${max}`,
    );
  }
}

/** A simple stored DO with a maximum length. */
function simple(tag: number, max: number, access: Writable["access"] = "pw3"): Writable {
  return {
    access,
    write(value, { store }) {
      lengthIn(value, 0, max);
      store.setData(tag, value);
      store.save();
    },
  };
}

function keySlotField(slot: number, field: "fingerprint" | "time"): Writable {
  return {
    access: "pw3",
    write(value, { store }) {
      const key = store.state.keys[slot]!;
      if (field === "fingerprint") {
        lengthIn(value, 20, 20);
        key.fingerprint = toHex(value);
      } else {
        lengthIn(value, 4, 4);
        key.time = ((value[0]! << 24) | (value[1]! << 16) | (value[2]! << 8) | value[3]!) >>> 0;
      }
      store.save();
    },
  };
}

function caFingerprint(index: number): Writable {
  return {
    access: "pw3",
    write(value, { store }) {
      lengthIn(value, 20, 20);
      store.state.caFingerprints[index] = toHex(value);
      store.save();
    },
  };
}

/** Forget a slot's key and its metadata (new attributes make the old key unusable). */
export function clearKeySlot(store: CardStore, slot: number): void {
  const key = store.state.keys[slot]!;
  key.key = null;
  key.fingerprint = "00".repeat(20);
  key.time = 0;
  key.origin = 0;
}

/** Largest cardholder certificate: C0 bytes 4–5 (spec 2.0+ and 3.x alike). */
function maxCertificate(profile: CardProfile): number {
  const c0 = fromHex(profile.extendedCapabilities);
  return (c0[4]! << 8) | c0[5]!;
}

/** Whether the profile's card offers this algorithm in `slot`. */
function offered(profile: CardProfile, slot: number, value: Uint8Array): boolean {
  const name = algorithmNameOf(toHex(value));
  return name !== undefined && profile.capabilities.algorithms[SLOT_NAMES[slot]!].includes(name);
}

function attributes(slot: number): Writable {
  return {
    access: "pw3",
    write(value, { store, profile }) {
      // ECDH only in the decryption slot; ECDSA/EdDSA never there (spec 3.4, algorithm attributes).
      const ecdh = value[0] === 0x12;
      const signing = value[0] === 0x13 || value[0] === 0x16;
      const usable = supportsAttributes(value) && offered(profile, slot, value);
      if (!usable || (slot === 1 ? signing : ecdh)) {
        throw new StatusError(SW_BAD_DATA, `Cannot set attributes ${toHex(value)}: not supported`);
      }
      const key = store.state.keys[slot]!;
      if (key.attributes === toHex(value)) return;
      key.attributes = toHex(value);
      clearKeySlot(store, slot);
      if (slot === 0) store.state.signatureCounter = 0;
      store.save();
    },
  };
}

function uif(slot: number): Writable {
  return {
    access: "pw3",
    write(value, { store }) {
      lengthIn(value, 2, 2);
      const key = store.state.keys[slot]!;
      if (key.uif === 2) {
        throw new StatusError(SW_CONDITIONS_OF_USE, "Cannot change UIF: permanent");
      }
      if (value[0]! > 2 || value[1] !== UIF_BUTTON) throw new StatusError(SW_BAD_DATA);
      key.uif = value[0]!;
      store.save();
    },
  };
}

/** C4: one byte (PW1 valid for several PSO:CDS: 00/01) or four bytes with unchanged maxima. */
const pwStatus: Writable = {
  access: "pw3",
  write(value, { store, profile }) {
    lengthIn(value, 1, 4);
    if (value.length !== 1 && value.length !== 4) throw new StatusError(SW_WRONG_LENGTH);
    if (value[0]! > 1) throw new StatusError(SW_BAD_DATA);
    if (value.length === 4 && value.subarray(1).some((b, i) => b !== profile.maxPinLength[i])) {
      throw new StatusError(SW_BAD_DATA, "Cannot change maximum PIN lengths");
    }
    store.state.pw1ValidMultiple = value[0] === 1;
    store.save();
  },
};

/**
 * F9: writing the KDF-DO sets PW1 and PW3 to the default PINs as transformed by the new DO,
 * deletes the resetting code and clears the security status — the sequence gnupg's generic
 * KDF setup leaves behind anyway (scd/app-openpgp.c do_setattr, special 4).
 */
const kdfDo: Writable = {
  access: "pw3",
  write(value, { store, session }) {
    lengthIn(value, 3, MAX_SPECIAL_DO);
    const pins = kdfDefaultPins(parseKdfDo(value));
    const s = store.state;
    s.kdf = toHex(value);
    s.pins = { pw1: toHex(pins.pw1), pw3: toHex(pins.pw3), rc: null };
    s.tries = { pw1: MAX_TRIES, rc: 0, pw3: MAX_TRIES };
    session.clearSecurity();
    store.save();
  },
};

const WRITABLE: ReadonlyMap<number, Writable> = new Map<number, Writable>([
  [0x5b, simple(0x5b, 39)],
  [0x5f2d, simple(0x5f2d, 8)],
  [0x5f35, simple(0x5f35, 1)],
  [0x5e, simple(0x5e, MAX_SPECIAL_DO)],
  [0x5f50, simple(0x5f50, MAX_SPECIAL_DO)],
  [0x0101, simple(0x0101, MAX_SPECIAL_DO, "pw1Other")],
  [0x0102, simple(0x0102, MAX_SPECIAL_DO)],
  [0x0103, simple(0x0103, MAX_SPECIAL_DO, "pw1Other")],
  [0x0104, simple(0x0104, MAX_SPECIAL_DO)],
  [TAG_CARDHOLDER_CERT, {
    access: "pw3",
    write(value, { store, session, profile }) {
      lengthIn(value, 0, maxCertificate(profile));
      store.state.certificates[session.certOccurrence] = toHex(value);
      store.save();
    },
  }],
  [0xc1, attributes(0)],
  [0xc2, attributes(1)],
  [0xc3, attributes(2)],
  [0xc4, pwStatus],
  [0xc7, keySlotField(0, "fingerprint")],
  [0xc8, keySlotField(1, "fingerprint")],
  [0xc9, keySlotField(2, "fingerprint")],
  [0xca, caFingerprint(0)],
  [0xcb, caFingerprint(1)],
  [0xcc, caFingerprint(2)],
  [0xce, keySlotField(0, "time")],
  [0xcf, keySlotField(1, "time")],
  [0xd0, keySlotField(2, "time")],
  [0xd3, {
    access: "pw3",
    write: (value, { store, profile }) => putResettingCode(store, value, profile.maxPinLength[1]),
  }],
  // AES key for PSO:ENC/DEC: stored, never used (C0 does not announce AES).
  [0xd5, {
    access: "pw3",
    write(value, { store }) {
      if (value.length !== 16 && value.length !== 32) throw new StatusError(SW_WRONG_LENGTH);
      store.setData(0xd5, value);
      store.save();
    },
  }],
  [0xd6, uif(0)],
  [0xd7, uif(1)],
  [0xd8, uif(2)],
  [0xf9, kdfDo],
]);

/** Whether the profile's card lets the host write `tag` (DOs it lacks or keeps fixed: no). */
function writable(profile: CardProfile, tag: number): boolean {
  const c = profile.capabilities;
  if (tag >= 0xc1 && tag <= 0xc3) return c.keyAttrChangeable;
  if (tag === 0xd3) return c.resetCode;
  return hasDataObject(profile, tag);
}

/** 7.2.8 PUT DATA (even INS): P1 ‖ P2 = tag, data = new value. */
export function putData(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  const tag = (cmd.p1 << 8) | cmd.p2;
  const target = writable(ctx.profile, tag) ? WRITABLE.get(tag) : undefined;
  if (!target) {
    throw new StatusError(
      ctx.profile.status.unknownDo,
      `Cannot write data object ${tag.toString(16)}`,
    );
  }
  if (!ctx.session[target.access]) throw new StatusError(SW_SECURITY_STATUS);
  target.write(cmd.data, ctx);
  return NO_DATA;
}

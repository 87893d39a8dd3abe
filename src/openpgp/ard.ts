/**
 * Application Related Data (DO 6E, spec 3.4 §4.4.3.1): AID, historical bytes, extended
 * length info, extended capabilities, algorithm attributes, PW status, fingerprints,
 * generation times, key information, UIF and the button feature — parsed in one go so a
 * single GET DATA 6E serves a whole operation.
 * @module
 */

import { findTlv, type LengthCapabilities, readTlv } from "../iso7816/mod.ts";
import { readUintBE } from "../util/bytes.ts";
import { type Aid, parseAid } from "./aid.ts";
import { type AlgorithmAttributes, parseAlgorithmAttributes } from "./algorithm.ts";
import { parsePwStatus, type PwStatus } from "./pw_status.ts";

/** Card capabilities from the historical bytes (compact-TLV tag 7, third byte). */
export interface CardCapabilities {
  commandChaining: boolean;
  extendedLength: boolean;
}

/** Parsed historical bytes (scd/app-openpgp.c `parse_historical`). */
export interface HistoricalBytes {
  capabilities: CardCapabilities;
  /** Life cycle status indicator (third byte from the end), e.g. 05 operational. */
  statusIndicator: number;
}

/** Parse historical bytes: 00 category, compact TLVs, status indicator ‖ SW. */
export function parseHistoricalBytes(raw: Uint8Array): HistoricalBytes | undefined {
  if (raw.length < 4 || raw[0] !== 0) return undefined;
  const body = raw.subarray(1, raw.length - 3);
  const out: HistoricalBytes = {
    capabilities: { commandChaining: false, extendedLength: false },
    statusIndicator: raw[raw.length - 3]!,
  };
  for (let i = 0; i < body.length;) {
    const tag = body[i]! >> 4;
    const len = body[i]! & 0x0f;
    if (i + 1 + len > body.length) return out; // gnupg: "bad Compact-TLV", keep what we have
    if (tag === 7 && len === 3) {
      const caps = body[i + 3]!;
      out.capabilities = {
        commandChaining: (caps & 0x80) !== 0,
        extendedLength: (caps & 0x40) !== 0,
      };
    }
    i += 1 + len;
  }
  return out;
}

/** Extended capabilities (DO C0) as scdaemon reads them (`app_select_openpgp`). */
export interface ExtendedCapabilities {
  secureMessaging: boolean;
  getChallenge: boolean;
  keyImport: boolean;
  pwStatusChangeable: boolean;
  privateDos: boolean;
  algorithmAttributesChangeable: boolean;
  aesDecrypt: boolean;
  kdf: boolean;
  /** SM algorithm byte (0 3DES, 1 AES-128, 2 AES-256) — bytes ≥ 10 only. */
  smAlgorithm: number;
  maxChallengeLength: number;
  maxCertLength: number;
  /** v3: max length of special DOs (private DOs, login data, URL). */
  maxSpecialLength: number;
  pinBlock2: boolean;
  mse: boolean;
}

/** Parse C0; `appVersion` decides whether bytes 6–9 mean v3 fields. */
export function parseExtendedCapabilities(
  raw: Uint8Array,
  appVersion: number,
): ExtendedCapabilities {
  const b0 = raw[0] ?? 0;
  const full = raw.length >= 10;
  const v3 = full && appVersion >= 0x0300;
  return {
    secureMessaging: (b0 & 0x80) !== 0,
    getChallenge: (b0 & 0x40) !== 0,
    keyImport: (b0 & 0x20) !== 0,
    pwStatusChangeable: (b0 & 0x10) !== 0,
    privateDos: (b0 & 0x08) !== 0,
    algorithmAttributesChangeable: (b0 & 0x04) !== 0,
    aesDecrypt: (b0 & 0x02) !== 0,
    kdf: (b0 & 0x01) !== 0,
    smAlgorithm: full ? raw[1]! : 0,
    maxChallengeLength: full ? readUintBE(raw.subarray(2, 4)) : 0,
    maxCertLength: full ? readUintBE(raw.subarray(4, 6)) : 0,
    maxSpecialLength: v3 ? readUintBE(raw.subarray(6, 8)) : 0,
    pinBlock2: v3 && (raw[8]! & 0x01) !== 0,
    mse: v3 && (raw[9]! & 0x01) !== 0,
  };
}

/** Key status from DO DE: 00 none, 01 generated on card, 02 imported. */
export interface KeyStatus {
  keyRef: number;
  status: number;
}

/** Everything in DO 6E. */
export interface ApplicationRelatedData {
  raw: Uint8Array;
  aid: Aid;
  historical?: HistoricalBytes;
  /** DO 7F66: max command / response lengths for extended APDUs. */
  extendedLengthInfo?: { maxCommand: number; maxResponse: number };
  extendedCapabilities: ExtendedCapabilities;
  /** C1, C2, C3. */
  algorithmAttributes: [AlgorithmAttributes, AlgorithmAttributes, AlgorithmAttributes];
  pwStatus: PwStatus;
  /** C5 split in three 20-byte fingerprints (all zero = no key). */
  fingerprints: [Uint8Array, Uint8Array, Uint8Array];
  caFingerprints: [Uint8Array, Uint8Array, Uint8Array];
  /** CD: seconds since the epoch, 0 = unset. */
  generationTimes: [number, number, number];
  keyInformation: KeyStatus[];
  /** D6, D7, D8 (2 bytes each) when present. */
  uif: [Uint8Array | undefined, Uint8Array | undefined, Uint8Array | undefined];
  /** DO 7F74 present: the card has a confirmation button (gnupg `has_button`). */
  hasButton: boolean;
}

/** Malformed application related data. */
export class ArdSyntaxError extends SyntaxError {
  override name = "ArdSyntaxError";
}

/** Parse the value of GET DATA 6E (with or without its own 6E header). */
export function parseArd(bytes: Uint8Array): ApplicationRelatedData {
  const value = unwrap(bytes, 0x6e);
  const aidBytes = findTlv(value, 0x4f);
  if (!aidBytes) {
    throw new ArdSyntaxError("Cannot parse application related data: AID (4F) missing");
  }
  const aid = parseAid(aidBytes);
  const c4 = findTlv(value, 0xc4);
  if (!c4) {
    throw new ArdSyntaxError("Cannot parse application related data: PW status (C4) missing");
  }
  const hist = findTlv(value, 0x5f52);
  const ext = findTlv(value, 0x7f66);
  const split20 = (tag: number) => {
    const v = findTlv(value, tag) ?? new Uint8Array(0);
    return [0, 1, 2].map((i) => padded(v.subarray(i * 20, i * 20 + 20), 20)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
  };
  const times = findTlv(value, 0xcd) ?? new Uint8Array(0);
  const de = findTlv(value, 0xde) ?? new Uint8Array(0);
  const keyInformation: KeyStatus[] = [];
  for (let i = 0; i + 1 < de.length; i += 2) {
    keyInformation.push({ keyRef: de[i]!, status: de[i + 1]! });
  }
  const out: ApplicationRelatedData = {
    raw: value.slice(),
    aid,
    extendedCapabilities: parseExtendedCapabilities(
      findTlv(value, 0xc0) ?? new Uint8Array(0),
      aid.appVersion,
    ),
    algorithmAttributes: [0xc1, 0xc2, 0xc3].map((t) =>
      parseAlgorithmAttributes(findTlv(value, t) ?? new Uint8Array(0))
    ) as ApplicationRelatedData["algorithmAttributes"],
    pwStatus: parsePwStatus(c4),
    fingerprints: split20(0xc5),
    caFingerprints: split20(0xc6),
    generationTimes: [0, 1, 2].map((i) =>
      times.length >= 4 * (i + 1) ? readUintBE(times.subarray(4 * i, 4 * i + 4)) : 0
    ) as [number, number, number],
    keyInformation,
    uif: [0xd6, 0xd7, 0xd8].map((t) => findTlv(value, t)?.slice()) as ApplicationRelatedData["uif"],
    hasButton: findTlv(value, 0x7f74) !== undefined,
  };
  const historical = hist ? parseHistoricalBytes(hist) : undefined;
  if (historical) out.historical = historical;
  const lengths = ext ? [...iterateTlv(ext)].filter((t) => t.tag === 0x02) : [];
  if (lengths.length >= 2) {
    out.extendedLengthInfo = {
      maxCommand: readUintBE(lengths[0]!.value),
      maxResponse: readUintBE(lengths[1]!.value),
    };
  }
  return out;
}

/** Remove an outer `tag` header if the bytes are exactly one such TLV (gnupg does the same). */
export function unwrap(bytes: Uint8Array, tag: number): Uint8Array {
  try {
    const { tlv, next } = readTlv(bytes, 0);
    if (tlv.tag === tag && next === bytes.length) return tlv.value;
  } catch {
    // not a single TLV: already the bare value
  }
  return bytes;
}

function* iterateTlv(bytes: Uint8Array) {
  for (let i = 0; i < bytes.length;) {
    const { tlv, next } = readTlv(bytes, i);
    yield tlv;
    i = next;
  }
}

function padded(v: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(v.subarray(0, n));
  return out;
}

/**
 * Historical bytes of an ATR (ISO 7816-3 §8.2): T0's low nibble counts them; they follow
 * the interface bytes. Used when DO 6E lacks 5F52.
 */
export function atrHistoricalBytes(atr: Uint8Array): Uint8Array | undefined {
  if (atr.length < 2) return undefined;
  const k = atr[1]! & 0x0f;
  let i = 1;
  let y = atr[1]! >> 4;
  for (;;) {
    const present = [1, 2, 4, 8].filter((bit) => (y & bit) !== 0).length;
    const td = (y & 8) !== 0 ? i + present : -1;
    i += present;
    if (td < 0) break;
    if (td >= atr.length) return undefined;
    y = atr[td]! >> 4;
  }
  const start = i + 1;
  return start + k <= atr.length ? atr.slice(start, start + k) : undefined;
}

/** The EXTCAP status text (scd/app-openpgp.c `do_getattr`, before status escaping). */
export function extcapText(ard: ApplicationRelatedData): string {
  const x = ard.extendedCapabilities;
  // Cipher ids of OpenPGP: 3DES 2, AES 7, AES256 9.
  const sm = x.secureMessaging ? (x.smAlgorithm === 0 ? 2 : x.smAlgorithm === 1 ? 7 : 9) : 0;
  const b = (v: boolean) => (v ? 1 : 0);
  return `gc=${b(x.getChallenge)} ki=${b(x.keyImport)} fc=${b(x.pwStatusChangeable)} pd=${
    b(x.privateDos)
  } ` +
    `mcl3=${x.maxCertLength} aac=${b(x.algorithmAttributesChangeable)} sm=${sm} ` +
    `si=${ard.historical?.statusIndicator ?? 0} dec=${b(x.aesDecrypt)} bt=${b(ard.hasButton)} kdf=${
      b(x.kdf)
    }`;
}

/** Extended length / chaining as the card announces them (historical bytes, else ATR; 7F66). */
export function lengthCapabilities(
  ard: ApplicationRelatedData,
  atr: Uint8Array,
): LengthCapabilities {
  let caps = ard.historical?.capabilities;
  if (!caps) {
    const fromAtr = atrHistoricalBytes(atr);
    caps = (fromAtr && parseHistoricalBytes(fromAtr)?.capabilities) ??
      { commandChaining: false, extendedLength: false };
  }
  const out: LengthCapabilities = { ...caps };
  if (ard.extendedLengthInfo) {
    out.maxCommandLength = ard.extendedLengthInfo.maxCommand;
    out.maxResponseLength = ard.extendedLengthInfo.maxResponse;
  }
  return out;
}

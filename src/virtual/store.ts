/**
 * Persistent state of the virtual card: PINs and counters, data objects, keys. Kept as one
 * JSON-safe object and written to the state file after every change, so removing and
 * re-inserting the card keeps keys and counters.
 *
 * The file holds PINs and private keys, so it is the user's alone: written to a temporary
 * file of a fresh name in the same directory (created exclusively, mode 0600, synced), then
 * renamed over the old one; a state file group or others can read or write is refused.
 * @module
 */

import { fromHex, toHex, utf8 } from "../util/bytes.ts";
import { replaceFileSync } from "../util/private_file.ts";
import type { CardKey } from "./crypto.ts";
import {
  attributesOf,
  type CardProfile,
  DEFAULT_PROFILE,
  PROFILES,
  SLOT_NAMES,
} from "./profiles/mod.ts";

/** How a key got onto the card (DE key information status byte). */
export type KeyOrigin = 0 | 1 | 2; // none, generated, imported

/** One of the three key slots (signature, decryption, authentication). */
export interface KeySlotState {
  /** Algorithm attributes (C1/C2/C3 value), hex. */
  attributes: string;
  key: CardKey | null;
  /** Fingerprint written by the host (C7–C9), 40 hex digits; zeros when unset. */
  fingerprint: string;
  /** Generation time written by the host (CE–D0), seconds since 1970. */
  time: number;
  origin: KeyOrigin;
  /** User interaction flag: 0 off, 1 on, 2 permanently on. */
  uif: number;
}

/** Everything the card keeps across power cycles. Byte values are hex strings. */
export interface CardState {
  format: typeof STATE_FORMAT;
  /** The card profile (profiles/mod.ts) the state was made for; absent in old files = openpgp34. */
  profile?: string;
  serial: number;
  manufacturer: number;
  terminated: boolean;
  pins: { pw1: string; pw3: string; rc: string | null };
  tries: { pw1: number; rc: number; pw3: number };
  /** C4 byte 0: PW1 (81) stays valid for several PSO:CDS. */
  pw1ValidMultiple: boolean;
  signatureCounter: number;
  /** KDF-DO (F9) value. */
  kdf: string;
  /** Simple DOs by tag in hex: 5B, 5F2D, 5F35, 5E, 5F50, 0101–0104, D5. */
  data: Record<string, string>;
  /** Cardholder certificates by SELECT DATA occurrence: 0 AUT, 1 DEC, 2 SIG. */
  certificates: string[];
  /** The attestation key (YubiKey profiles; JWK fields), made on first use (attestation.ts). */
  attestationKey?: Record<string, string>;
  /** CA fingerprints CA/CB/CC (C6), 40 hex digits each. */
  caFingerprints: string[];
  keys: KeySlotState[];
}

export const STATE_FORMAT = "scd-ts-vcard/1";
export const MAX_TRIES = 3;
/** The factory PINs, the OpenPGP card spec's defaults: user (PW1) and admin (PW3). */
export const FACTORY_PINS = { user: "123456", admin: "12345678" } as const;
export const DEFAULT_PW1 = utf8(FACTORY_PINS.user);
export const DEFAULT_PW3 = utf8(FACTORY_PINS.admin);
/** KDF-DO meaning "no KDF" (spec 3.4 §4.3.2). */
export const KDF_NONE = "810100";
const ZERO_FPR = "00".repeat(20);

/** Factory state for a card with this identity and profile (default attributes, C4 byte 0). */
export function factoryState(
  serial: number,
  manufacturer: number,
  profile: CardProfile = PROFILES[DEFAULT_PROFILE]!,
): CardState {
  const slot = (index: number): KeySlotState => ({
    attributes: attributesOf(
      profile.capabilities.algorithms[SLOT_NAMES[index]!][0]!,
      index,
      profile.rsaAttributeTail,
    ),
    key: null,
    fingerprint: ZERO_FPR,
    time: 0,
    origin: 0,
    uif: 0,
  });
  return {
    format: STATE_FORMAT,
    profile: profile.name,
    serial,
    manufacturer,
    terminated: false,
    pins: { pw1: toHex(DEFAULT_PW1), pw3: toHex(DEFAULT_PW3), rc: null },
    tries: { pw1: MAX_TRIES, rc: 0, pw3: MAX_TRIES },
    pw1ValidMultiple: profile.pw1ValidMultiple,
    signatureCounter: 0,
    kdf: KDF_NONE,
    data: {},
    certificates: ["", "", ""],
    caFingerprints: [ZERO_FPR, ZERO_FPR, ZERO_FPR],
    keys: [slot(0), slot(1), slot(2)],
  };
}

/** Options for {@link CardStore.open}. */
export interface CardStoreOptions {
  path?: string | undefined;
  serial?: number | undefined;
  manufacturer?: number | undefined;
  /** The card profile; a state file made for another profile is an error. Default openpgp34. */
  profile?: CardProfile | undefined;
}

/** The card's persistent memory. Mutate `state`, then call `save()`. */
export class CardStore {
  #path: string | undefined;
  readonly profile: CardProfile;
  state: CardState;

  private constructor(state: CardState, path: string | undefined, profile: CardProfile) {
    this.state = state;
    this.#path = path;
    this.profile = profile;
  }

  /** Load the state file if it exists, else start from the factory state (and write it). */
  static open(options: CardStoreOptions = {}): CardStore {
    const profile = options.profile ?? PROFILES[DEFAULT_PROFILE]!;
    const loaded = options.path === undefined ? undefined : readState(options.path);
    if (loaded !== undefined) checkProfile(loaded, profile, options.path!);
    const state = loaded ??
      factoryState(
        options.serial ?? 0x00000001,
        options.manufacturer ?? profile.manufacturer,
        profile,
      );
    if (options.serial !== undefined) state.serial = options.serial >>> 0;
    if (options.manufacturer !== undefined) state.manufacturer = options.manufacturer & 0xffff;
    state.profile = profile.name;
    const store = new CardStore(state, options.path, profile);
    store.save();
    return store;
  }

  /** Write the state file (no-op without a path). */
  save(): void {
    if (this.#path === undefined) return;
    replaceFileSync(this.#path, utf8(JSON.stringify(this.state, null, 1) + "\n"), 0o600);
  }

  /** Back to factory defaults, keeping serial and manufacturer (ACTIVATE FILE after TERMINATE). */
  factoryReset(): void {
    this.state = factoryState(this.state.serial, this.state.manufacturer, this.profile);
    this.save();
  }

  /** A simple DO's value (empty when never written). */
  getData(tag: number): Uint8Array {
    return fromHex(this.state.data[tagKey(tag)] ?? "");
  }

  /** Set a simple DO's value (empty deletes it). Caller saves. */
  setData(tag: number, value: Uint8Array): void {
    if (value.length === 0) delete this.state.data[tagKey(tag)];
    else this.state.data[tagKey(tag)] = toHex(value);
  }
}

/** A state file belongs to one profile: opening it as another card would mix their behaviour. */
function checkProfile(state: CardState, profile: CardProfile, path: string): void {
  const made = state.profile ?? DEFAULT_PROFILE;
  if (made !== profile.name) {
    throw new Error(
      `Cannot open virtual card state ${path} with profile ${profile.name}: it was made for ` +
        `profile ${made} (open it with profile ${made}, or use another state file)`,
    );
  }
}

function tagKey(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(tag > 0xff ? 4 : 2, "0");
}

function readState(path: string): CardState | undefined {
  let text: string;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    // the mode of the file we read, not of whatever the path names a moment later
    const mode = file.statSync().mode;
    if (mode !== null && (mode & 0o077) !== 0) {
      throw new Error(
        `Cannot load virtual card state from ${path}: it holds PINs and keys, but group or ` +
          `others may read or write it (mode ${(mode & 0o777).toString(8)}); ` +
          `run chmod 600 ${path} if that is safe`,
      );
    }
    text = new TextDecoder().decode(readAllSync(file));
  } finally {
    file.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`Cannot load virtual card state from ${path}: not JSON`, { cause: e });
  }
  const s = parsed as Partial<CardState>;
  if (
    s?.format !== STATE_FORMAT || !Array.isArray(s.keys) || s.keys.length !== 3 ||
    typeof s.pins?.pw1 !== "string" || typeof s.tries?.pw1 !== "number"
  ) {
    throw new Error(`Cannot load virtual card state from ${path}: unknown format`);
  }
  return s as CardState;
}

function readAllSync(file: Deno.FsFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const buf = new Uint8Array(65536);
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    chunks.push(buf.subarray(0, n));
    size += n;
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

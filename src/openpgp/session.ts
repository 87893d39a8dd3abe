/**
 * OpenPgpSession: the OpenPGP application on one open channel (one PC/SC transaction).
 * It sends APDUs through the ISO processor stack, turns status words into domain errors,
 * and reads DOs through a {@link CardState} that outlives the session.
 *
 * Cache rule (style.md §3.7): every write (PUT DATA, key generation, key import, PIN
 * change) invalidates the whole model before it is sent; DOs marked "never" in the DO table
 * (PIN-protected private DOs, write-only DOs) are never kept; "model" DOs (PW status,
 * signature counter) are kept for questions but read fresh by operations, unless the session
 * answers from the model (`fromModel`, the zero-APDU path of query commands).
 * @module
 */

import {
  CardStatusError,
  NoApplicationError,
  NoObjectError,
  PinBlockedError,
  PinError,
} from "../app/mod.ts";
import type { CardChannel, CommandApdu, ResponseApdu } from "../iso7816/mod.ts";
import { ApduTransport, type ExchangeObserver, findTlv, swName } from "../iso7816/mod.ts";
import { type ApplicationRelatedData, lengthCapabilities, parseArd, unwrap } from "./ard.ts";
import * as cmd from "./commands.ts";
import { CardState } from "./card_state.ts";
import { dataObjectByTag } from "./data_objects.ts";

/** The card-state model under its earlier name (the session reads DOs through it). */
export { CardState } from "./card_state.ts";

/** Thrown by a session that answers from the model when it would need the card. */
export class CardNeededError extends Error {
  override name = "CardNeededError";
}

/** A channel for answering from the model only: every APDU is a {@link CardNeededError}. */
export function modelOnlyChannel(reader: string, atr: Uint8Array): CardChannel {
  return {
    reader,
    atr,
    transmit: () => Promise.reject(new CardNeededError("Not known without the card")),
  };
}

/** Options for {@link OpenPgpSession}. */
export interface OpenPgpSessionOptions {
  cardState?: CardState;
  /** Serve "model" DOs (C4, 7A) from the model even when asked fresh (query commands). */
  fromModel?: boolean;
  /** Raw APDU observer (trace logging; VERIFY/CHANGE bodies must be redacted by the caller). */
  observer?: ExchangeObserver;
  signal?: AbortSignal;
}

/** One transaction's view of the OpenPGP application. */
export class OpenPgpSession {
  readonly cardState: CardState;
  #fromModel: boolean;
  #channel: CardChannel;
  #transport: ApduTransport;
  #signal: AbortSignal | undefined;
  #verified = new Set<number>();
  #touched = new Set<number>();

  constructor(channel: CardChannel, options: OpenPgpSessionOptions = {}) {
    this.#channel = channel;
    this.cardState = options.cardState ?? new CardState();
    this.#fromModel = options.fromModel ?? false;
    this.#signal = options.signal;
    const transportOptions = options.observer ? { observer: options.observer } : {};
    this.#transport = new ApduTransport(channel, transportOptions);
    if (this.cardState.ard) {
      this.#transport.configure(lengthCapabilities(this.cardState.ard, channel.atr));
    }
  }

  /** SELECT, then make sure the ARD is known and the transport configured. */
  static async open(
    channel: CardChannel,
    options: OpenPgpSessionOptions = {},
  ): Promise<OpenPgpSession> {
    const s = new OpenPgpSession(channel, options);
    await s.select();
    await s.applicationRelatedData();
    return s;
  }

  /** The ATR of the card this session's transaction talks to. */
  get atr(): Uint8Array {
    return this.#channel.atr;
  }

  /** PW references verified in this session (VERIFY succeeded since the SELECT). */
  get verified(): ReadonlySet<number> {
    return this.#verified;
  }

  /** PW references this session ever verified (for resetting them at the end). */
  get touched(): ReadonlySet<number> {
    return this.#touched;
  }

  /** Treat every PIN as unverified from now on (stock does so after attribute changes). */
  forgetVerification(): void {
    this.#verified.clear();
  }

  /** Send one command and return the raw response (no status check). */
  async transmit(apdu: CommandApdu): Promise<ResponseApdu> {
    return await this.#transport.send(apdu, this.#signal ? { signal: this.#signal } : {});
  }

  async #ok(apdu: CommandApdu, action: string): Promise<Uint8Array> {
    const r = await this.transmit(apdu);
    if (r.sw !== 0x9000) throw statusError(r.sw, action);
    return r.data;
  }

  /** 7.2.1 SELECT with P2=0C (no FCI); falls back to P2=00 for cards refusing 0C. */
  async select(): Promise<void> {
    this.#verified.clear();
    this.#touched.clear();
    let r = await this.transmit(cmd.select());
    if (r.sw === 0x6a86 || r.sw === 0x6b00) r = await this.transmit(cmd.select({ fci: true }));
    if (r.sw === 0x6a82) throw new NoApplicationError(r.sw, "The card has no OpenPGP application");
    if (r.sw !== 0x9000) throw statusError(r.sw, "Cannot select OpenPGP application");
  }

  /** DO 6E, parsed (cached). Configures extended length / chaining from it. */
  async applicationRelatedData(): Promise<ApplicationRelatedData> {
    let ard = this.cardState.ard;
    if (!ard) {
      ard = parseArd(await this.#ok(cmd.getData(0x6e), "Cannot read application related data"));
      this.cardState.ard = ard;
    }
    this.#transport.configure(lengthCapabilities(ard, this.#channel.atr));
    return ard;
  }

  /**
   * GET DATA for a DO; undefined if the card says it does not exist (6A88/6A82).
   * Cached per the DO table unless `fresh`.
   */
  async getData(tag: number, options: { fresh?: boolean } = {}): Promise<Uint8Array | undefined> {
    const spec = dataObjectByTag(tag);
    const keep = spec?.cache !== "never";
    const fromCache = !keep ? false : spec?.cache === "model" ? this.#fromModel : !options.fresh;
    if (fromCache) {
      const hit = this.cardState.getDo(tag);
      if (hit !== undefined) return hit ?? undefined;
    }
    const le = await this.#getDataLe(spec?.extended);
    const r = await this.transmit(cmd.getData(tag, le));
    if (r.sw === 0x6a88 || r.sw === 0x6a82) {
      if (keep) this.cardState.setDo(tag, null);
      return undefined;
    }
    if (r.sw !== 0x9000) {
      throw statusError(r.sw, `Cannot read DO ${tag.toString(16).toUpperCase()}`);
    }
    const value = spec?.constructed ? unwrap(r.data, tag) : r.data;
    if (keep) this.cardState.setDo(tag, value);
    return value;
  }

  /**
   * Le for GET DATA as gnupg's get_cached_data/iso7816_get_data choose it: large DOs go
   * extended on extended-length cards, with the C0 maximum or 65534 when that is under 256.
   */
  async #getDataLe(extended: "cert" | "special" | undefined): Promise<number | "max"> {
    if (!extended) return "max";
    const ard = await this.applicationRelatedData();
    if (!ard.historical?.capabilities.extendedLength) return "max";
    const x = ard.extendedCapabilities;
    const max = extended === "cert"
      ? x.maxCertLength
      : ard.aid.appVersion >= 0x0300
      ? x.maxSpecialLength
      : 0;
    if (max === 0) return "max";
    return max < 256 ? 65534 : max;
  }

  /** Signature counter (DO 93 in 7A), always fresh; 0 if unreadable (as stock). */
  async signatureCounter(): Promise<number> {
    try {
      const t = await this.getData(0x7a, { fresh: true });
      const v = t && findTlv(t, 0x93);
      return v?.length === 3 ? (v[0]! << 16) | (v[1]! << 8) | v[2]! : 0;
    } catch (e) {
      if (e instanceof CardNeededError) throw e;
      return 0;
    }
  }

  /** PW status bytes (C4): fresh, or from the model when the session answers from it. */
  async pwStatusBytes(): Promise<Uint8Array> {
    const v = await this.getData(0xc4, { fresh: true });
    if (!v) throw new NoObjectError("Cannot read PW status: DO C4 missing");
    return v;
  }

  /**
   * 7.2.8 PUT DATA; invalidates the card model first. Only new algorithm attributes
   * (C1–C3) can change a slot's key (cards may delete it); other DOs leave the keys be.
   */
  async putData(tag: number, value: Uint8Array): Promise<void> {
    this.cardState.invalidate({ keySlot: tag >= 0xc1 && tag <= 0xc3 ? tag - 0xc1 : "none" });
    await this.#ok(cmd.putData(tag, value), `Cannot write DO ${tag.toString(16).toUpperCase()}`);
  }

  /**
   * Certificate `occurrence` of DO 7F21 (v3 cards: 0 AUT, 1 DEC, 2 SIG) read fresh, then back
   * to occurrence 0 even on error (stock `do_readcert`); undefined when the card refuses.
   */
  async certificateAt(occurrence: number): Promise<Uint8Array | undefined> {
    if ((await this.transmit(cmd.selectCertificate(occurrence))).sw !== 0x9000) return undefined;
    try {
      const r = await this.transmit(cmd.getData(0x7f21, await this.#getDataLe("cert")));
      return r.sw === 0x9000 ? r.data : undefined;
    } finally {
      await this.transmit(cmd.selectCertificate(0));
    }
  }

  /** YubiKey GENERATE ATTESTATION (`80 FB`): rewrites the slot's certificate; card model first. */
  async generateAttestation(slot: number): Promise<void> {
    this.cardState.invalidate({ keySlot: "none" }); // a certificate, no key
    await this.#ok(cmd.generateAttestation(slot), "Cannot generate attestation");
  }

  /** 7.2.8 PUT DATA odd: key import into `slot`; invalidates the card model first. */
  async importKey(template: Uint8Array, slot: number): Promise<void> {
    this.cardState.invalidate({ keySlot: slot });
    await this.#ok(cmd.putDataOdd(template), "Cannot import key");
  }

  /**
   * 7.2.2 VERIFY. Throws {@link PinError} (with tries left for 63Cx) or
   * {@link PinBlockedError}; other status words become {@link CardStatusError}.
   */
  async verify(ref: number, value: Uint8Array): Promise<void> {
    // touched before it is sent: if the answer is lost (reset, pcscd gone) nobody knows
    // whether the card took the PIN, so the strict policy must clear it all the same
    const before = this.#touched.has(ref);
    this.#touched.add(ref);
    const r = await this.transmit(cmd.verify(ref, value));
    this.cardState.noteVerify(ref === cmd.PW3 ? 6 : 4, r.sw === 0x9000);
    if (r.sw !== 0x9000) {
      if (!before) this.#touched.delete(ref); // the card answered: it did not verify
      throw pinStatusError(r.sw, "Cannot verify PIN");
    }
    this.#verified.add(ref);
  }

  /** 7.2.2 VERIFY with P1=FF: drop the verification of `ref` (v3 cards); returns the SW. */
  async resetVerification(ref: number): Promise<number> {
    this.#verified.delete(ref);
    const { sw } = await this.transmit(cmd.resetVerification(ref));
    if (sw === 0x9000) this.#touched.delete(ref);
    return sw;
  }

  /** 7.2.2 VERIFY with no data: 9000 while `ref` is verified, 63Cx (tries left) when not. */
  async verificationStatus(ref: number): Promise<number> {
    return (await this.transmit(cmd.verifyStatus(ref))).sw;
  }

  /** The card is about to be reset: nothing this session verified outlives it. */
  forgetTouched(): void {
    this.#verified.clear();
    this.#touched.clear();
  }

  /** 7.2.3 CHANGE REFERENCE DATA. */
  async changeReferenceData(ref: number, oldAndNew: Uint8Array): Promise<void> {
    // Cards may leave the reference verified after a change; make sure strict policy clears it.
    this.#touched.add(ref);
    if (ref === cmd.PW1_SIGN) this.#touched.add(cmd.PW1_OTHER);
    this.cardState.dropDo(0xc4); // the card counts this attempt either way
    const r = await this.transmit(cmd.changeReferenceData(ref, oldAndNew));
    if (r.sw !== 0x9000) throw pinStatusError(r.sw, "Cannot change PIN");
  }

  /** 7.2.4 RESET RETRY COUNTER. */
  async resetRetryCounter(mode: 0x00 | 0x02, data: Uint8Array): Promise<void> {
    this.cardState.dropDo(0xc4);
    const r = await this.transmit(cmd.resetRetryCounter(mode, data));
    if (r.sw !== 0x9000) throw pinStatusError(r.sw, "Cannot reset PIN retry counter");
  }

  /** 7.2.10 PSO: COMPUTE DIGITAL SIGNATURE. */
  async computeSignature(input: Uint8Array, le: number | "max" = "max"): Promise<Uint8Array> {
    let ok = false;
    try {
      const signature = await this.#ok(cmd.psoComputeSignature(input, le), "Cannot sign");
      ok = true;
      // PW1 valid for one signature only (C4 byte 1 = 00, or not known): the card dropped it
      const c4 = this.cardState.getDo(0xc4);
      if (!c4 || c4[0] === 0) this.#verified.delete(cmd.PW1_SIGN);
      return signature;
    } finally {
      this.cardState.noteSignature(ok);
    }
  }

  /** 7.2.11 PSO: DECIPHER. */
  async decipher(input: Uint8Array, le: number | "max" = "max"): Promise<Uint8Array> {
    return await this.#ok(cmd.psoDecipher(input, le), "Cannot decipher");
  }

  /** 7.2.13 INTERNAL AUTHENTICATE. */
  async internalAuthenticate(input: Uint8Array, le: number | "max" = "max"): Promise<Uint8Array> {
    return await this.#ok(cmd.internalAuthenticate(input, le), "Cannot authenticate");
  }

  /** 7.2.14 GENERATE ASYMMETRIC KEY PAIR (P1=80); invalidates the card model first. */
  async generateKeyPair(slot: number, le: number | "max" = "max"): Promise<Uint8Array> {
    this.cardState.invalidate({ keySlot: slot });
    const data = await this.#ok(cmd.generateKeyPair(slot, le), "Cannot generate key");
    this.cardState.setPublicKey(slot, data);
    return data;
  }

  /**
   * 7.2.14 read public key (P1=81), cached. A card error means "no key" to stock
   * (`get_public_key` maps it to NO_OBJ), so every failure but a PIN/security one is
   * reported as {@link NoObjectError}.
   */
  async readPublicKey(slot: number, le: number | "max" = "max"): Promise<Uint8Array> {
    const hit = this.cardState.getPublicKey(slot);
    if (hit) return hit;
    if (hit === null) throw new NoObjectError(`Cannot read public key ${slot + 1}: no key`);
    const r = await this.transmit(cmd.readPublicKey(slot, le));
    if (r.sw !== 0x9000) {
      // 6Axx: no key in the slot (6A88 on most cards); remembered until the next write
      if ((r.sw & 0xff00) === 0x6a00) this.cardState.setPublicKey(slot, null);
      throw new NoObjectError(`Cannot read public key ${slot + 1}: card answered ${swName(r.sw)}`);
    }
    this.cardState.setPublicKey(slot, r.data);
    return r.data;
  }

  /** 7.2.15 GET CHALLENGE in chunks of at most 254 bytes (as gnupg's iso7816_get_challenge). */
  async getChallenge(length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (let off = 0; off < length;) {
      const n = Math.min(254, length - off);
      const data = await this.#ok(cmd.getChallenge(n), "Cannot get challenge");
      if (data.length === 0) {
        throw new CardStatusError(0x6f00, "Cannot get challenge: card returned no data");
      }
      out.set(data.subarray(0, Math.min(n, length - off)), off);
      off += Math.min(n, data.length);
    }
    return out;
  }

  /** Send a raw command and throw for non-9000 (for the rare commands without a helper). */
  async run(apdu: CommandApdu, action: string): Promise<Uint8Array> {
    return await this.#ok(apdu, action);
  }
}

/** A non-9000 status as a domain error. */
export function statusError(sw: number, action: string): CardStatusError {
  return new CardStatusError(sw, `${action}: card answered ${swName(sw)}`);
}

/** Status words of PIN commands: 63Cx/6982 wrong PIN, 6983 blocked. */
export function pinStatusError(sw: number, action: string): Error {
  if ((sw & 0xfff0) === 0x63c0) {
    return new PinError(`${action}: wrong PIN, ${sw & 0xf} tries left`, { triesLeft: sw & 0xf });
  }
  if (sw === 0x6982) return new PinError(`${action}: wrong PIN`);
  if (sw === 0x6983) return new PinBlockedError(`${action}: PIN blocked`);
  return statusError(sw, action);
}

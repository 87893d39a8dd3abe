/**
 * The virtual OpenPGP card as a device: ATR, power and reset, one APDU at a time, simulated
 * latency, fault injection, user-presence button and traffic counters around the applet.
 * @module
 */

import { parseCommandApdu, responseBytes } from "./command_apdu.ts";
import { ApduLog } from "./apdu_log.ts";
import { OpenPgpApplet } from "./applet.ts";
import { fromHex } from "../util/bytes.ts";
import { buildAtr } from "./capabilities.ts";
import { type CardProfile, DEFAULT_PROFILE, profileByName } from "./profiles/mod.ts";
import {
  delayFor,
  keySlotOf,
  type LatencyInput,
  latencyKeyOf,
  type LatencyModel,
  legacyModel,
  NONE,
} from "./latency.ts";
import { CardStore } from "./store.ts";
import { TouchGate } from "./touch.ts";

/** How to build a virtual card. */
export interface VirtualCardOptions {
  /** 4-byte card serial (AID bytes 10..13), default 0x00000001. */
  serial?: number;
  /** AID bytes 8..9, default the profile's (openpgp34: 0xFFFE, test range). */
  manufacturer?: number;
  /** Card family to model (profiles/mod.ts), a profile or its name; default openpgp34. */
  profile?: CardProfile | string;
  /** JSON persistence file; loaded if it exists, written on change. */
  statePath?: string;
  /** Simulated latency per APDU and per INS (latency.ts); default none. */
  latency?: LatencyModel;
  /** Simulated delay per APDU (the old form; ignored when `latency` is given). */
  apduLatencyMs?: number;
  /** Extra delay per PSO / INTERNAL AUTHENTICATE / GENERATE (the old form). */
  psoLatencyMs?: number;
  /** How the card waits (tests pass a fake); default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** When UIF is on, auto-confirm after this many ms (default 100; -1 = never, wait for touch()). */
  autoTouchMs?: number;
}

const DEFAULT_AUTO_TOUCH_MS = 100;

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** Latency settings as the control port and the old CLI options give them. */
export interface LatencySetting {
  apduMs?: number;
  psoMs?: number;
  /** Replaces the whole model (apduMs/psoMs then change only the old two-number form). */
  model?: LatencyModel;
}

/** A virtual OpenPGP card 3.4, powered on after `open()`. */
export class VirtualCard {
  /** Answer to reset: the profile's, or T=1 with its historical bytes. */
  readonly atr: Uint8Array;
  /** The card family this card models. */
  readonly profile: CardProfile;
  /** Per-INS traffic counters. */
  readonly apduLog: ApduLog = new ApduLog();
  #store: CardStore;
  #applet: OpenPgpApplet;
  #touch: TouchGate;
  #legacy: { apduMs: number; psoMs: number };
  #latency: LatencyModel;
  #sleep: (ms: number) => Promise<void>;
  #powered = true;
  #inject = { sw: 0, count: 0 };
  #otherAids: Uint8Array[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(store: CardStore, options: VirtualCardOptions) {
    this.#store = store;
    this.profile = store.profile;
    this.atr = store.profile.atr === undefined
      ? buildAtr(fromHex(store.profile.historicalBytes))
      : fromHex(store.profile.atr);
    this.#legacy = { apduMs: options.apduLatencyMs ?? 0, psoMs: options.psoLatencyMs ?? 0 };
    this.#latency = options.latency ?? legacyModel(this.#legacy.apduMs, this.#legacy.psoMs);
    this.#sleep = options.sleep ?? sleep;
    this.#touch = new TouchGate(options.autoTouchMs ?? DEFAULT_AUTO_TOUCH_MS);
    this.#applet = new OpenPgpApplet(
      store,
      { awaitTouch: () => this.#touch.wait() },
      store.profile,
    );
  }

  /** Create the card, loading `statePath` when it exists. */
  static open(options: VirtualCardOptions = {}): Promise<VirtualCard> {
    const profile = typeof options.profile === "string"
      ? profileByName(options.profile)
      : options.profile ?? profileByName(DEFAULT_PROFILE);
    const store = CardStore.open({
      path: options.statePath,
      serial: options.serial,
      manufacturer: options.manufacturer,
      profile,
    });
    return Promise.resolve(new VirtualCard(store, options));
  }

  /** The card serial (AID bytes 10..13). */
  get serial(): number {
    return this.#store.state.serial;
  }

  /** Operations currently waiting for touch(). */
  get touchPending(): number {
    return this.#touch.waiting;
  }

  /** Send one command APDU; resolves with data ‖ SW1 SW2. APDUs run one at a time. */
  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#transmitNow(apdu));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #transmitNow(apdu: Uint8Array): Promise<Uint8Array> {
    if (!this.#powered) throw new Error("Cannot transmit: the virtual card is powered off");
    let response: Uint8Array;
    if (this.#inject.count > 0) {
      this.#inject.count--;
      response = responseBytes(new Uint8Array(0), this.#inject.sw);
    } else if (this.#selectsOther(apdu)) {
      this.#applet.reset(); // another applet now has the card: OpenPGP is deselected
      response = responseBytes(new Uint8Array(0), 0x9000);
    } else {
      response = await this.#applet.process(apdu);
    }
    // The answer is computed first and held back for the simulated time: from outside the
    // same as a slow card, and the delay can depend on the outcome (a refused PSO is fast).
    await this.#sleep(this.latencyFor(apdu, response));
    this.apduLog.record(apdu, response);
    return response;
  }

  /** The current latency model. */
  get latency(): LatencyModel {
    return this.#latency;
  }

  /** Simulated milliseconds for `apdu` answered with `response` under the current model. */
  latencyFor(apdu: Uint8Array, response: Uint8Array): number {
    if (this.#latency === NONE || apdu.length < 4) return this.#latency.defaultMs;
    const sw = response.length >= 2
      ? (response[response.length - 2]! << 8) | response[response.length - 1]!
      : 0;
    const input: LatencyInput = {
      cla: apdu[0]!,
      ins: apdu[1]!,
      p1: apdu[2]!,
      p2: apdu[3]!,
      hasData: false,
      sw,
    };
    try {
      const data = parseCommandApdu(apdu).data;
      input.hasData = data.length > 0;
      const slot = keySlotOf(input.ins, input.p1, input.p2, data);
      const attributes = slot === undefined ? undefined : this.#store.state.keys[slot]?.attributes;
      if (attributes !== undefined) input.key = latencyKeyOf(attributes);
    } catch {
      // a malformed APDU: header-only matching
    }
    return delayFor(this.#latency, input);
  }

  /**
   * Answer SELECT (by DF name) of an AID starting with `aid` with 9000, as a card with a second
   * application (PIV, FIDO) would: the OpenPGP application is deselected and its security
   * status lost, so the next OpenPGP command works only after a new SELECT.
   */
  addOtherApplication(aid: Uint8Array): void {
    this.#otherAids.push(aid.slice());
  }

  #selectsOther(apdu: Uint8Array): boolean {
    if (apdu.length < 5 || apdu[1] !== 0xa4 || apdu[2] !== 0x04) return false;
    const name = apdu.subarray(5, 5 + apdu[4]!);
    return this.#otherAids.some((aid) =>
      name.length >= aid.length && aid.every((b, i) => name[i] === b)
    );
  }

  /** Power the card on (clears the volatile state). */
  powerOn(): void {
    this.#powered = true;
    this.reset();
  }

  /** Power the card off: volatile state is lost, pending touch waits are cancelled. */
  powerOff(): void {
    this.reset();
    this.#powered = false;
  }

  /** Warm reset: selection and security status cleared. */
  reset(): void {
    this.#touch.cancel();
    this.#applet.reset();
    this.apduLog.noteReset();
  }

  /** Press the button: confirm a pending UIF wait. */
  touch(): void {
    this.#touch.touch();
  }

  /** Change the simulated latency: a whole model, or the old per-APDU / per-PSO numbers. */
  setLatency(latency: LatencySetting): void {
    if (latency.model !== undefined) {
      this.#latency = latency.model;
      return;
    }
    if (latency.apduMs !== undefined) this.#legacy.apduMs = latency.apduMs;
    if (latency.psoMs !== undefined) this.#legacy.psoMs = latency.psoMs;
    this.#latency = legacyModel(this.#legacy.apduMs, this.#legacy.psoMs);
  }

  /** The next `count` APDUs answer `sw` without being executed. */
  injectStatus(sw: number, count: number): void {
    this.#inject = { sw: sw & 0xffff, count: Math.max(0, count) };
  }
}

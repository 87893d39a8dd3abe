/**
 * The OpenPGP card 3.4 application: APDU transport rules (CLA, command chaining, GET
 * RESPONSE for answers longer than a short Le), life cycle (TERMINATE DF / ACTIVATE FILE),
 * SELECT, and INS dispatch to the handlers.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { concat } from "../util/bytes.ts";
import {
  SW_CLA_NOT_SUPPORTED,
  SW_CONDITIONS_OF_USE,
  SW_FILE_NOT_FOUND,
  SW_INCORRECT_P1P2,
  SW_INS_NOT_SUPPORTED,
  SW_OK,
  SW_SM_NOT_SUPPORTED,
  SW_TERMINATED,
  SW_UNKNOWN,
  SW_WRONG_LENGTH,
} from "../iso7816/sw.ts";
import { fromHex } from "../util/bytes.ts";
import { buildAid, extendedLimits } from "./capabilities.ts";
import { type CommandApdu, parseCommandApdu, responseBytes, StatusError } from "./command_apdu.ts";
import { type AppletContext, type AppletHooks, type Handler, NO_DATA } from "./context.ts";
import { getData, getNextData, selectData } from "./data_objects.ts";
import {
  generateKeyPair,
  importKey,
  internalAuthenticate,
  manageSecurityEnvironment,
  performSecurityOperation,
} from "./key_commands.ts";
import type { CardProfile } from "./profiles/mod.ts";
import { changeReferenceData, resetRetryCounter, verify } from "./pins.ts";
import { generateAttestation } from "./attestation.ts";
import { putData } from "./put_data.ts";
import { Session } from "./session.ts";
import type { CardStore } from "./store.ts";

const log = getLogger(["scd-ts", "virtual"]);

const INS_SELECT = 0xa4;
const INS_GET_RESPONSE = 0xc0;
const INS_ACTIVATE_FILE = 0x44;
const INS_TERMINATE_DF = 0xe6;
const INS_MSE = 0x22;
const CLA_CHAINING = 0x10;
/** Longest command data accepted through chaining. */
const MAX_CHAINED = 0xffff;

/**
 * 7.2.1 SELECT: by DF name (P1 04), partial AID allowed. Selecting the application again
 * clears its security status. Anything else is not on this card: 6A82, and the current
 * selection stays (as on a single-application Java Card, whose runtime keeps the applet).
 */
function select(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x04) throw new StatusError(SW_FILE_NOT_FOUND);
  if (cmd.p2 !== 0x00 && cmd.p2 !== 0x04 && cmd.p2 !== 0x0c) {
    throw new StatusError(SW_INCORRECT_P1P2);
  }
  const aid = buildAid(ctx.store.state.manufacturer, ctx.store.state.serial, ctx.profile.version);
  const asked = cmd.data;
  if (asked.length < 5 || asked.length > aid.length || asked.some((b, i) => b !== aid[i])) {
    throw new StatusError(SW_FILE_NOT_FOUND);
  }
  ctx.session.clear();
  ctx.session.selected = true;
  if (ctx.store.state.terminated) throw new StatusError(SW_TERMINATED);
  return NO_DATA;
}

/** 7.2.15 GET CHALLENGE: Ne random bytes (at most the C0 maximum, bytes 2–3). */
function getChallenge(cmd: CommandApdu, { profile }: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new StatusError(SW_INCORRECT_P1P2);
  const c0 = fromHex(profile.extendedCapabilities);
  const max = (c0[2]! << 8) | c0[3]!;
  if (cmd.ne === 0 || cmd.ne > max) throw new StatusError(SW_WRONG_LENGTH);
  return crypto.getRandomValues(new Uint8Array(cmd.ne));
}

/** 7.2.16 TERMINATE DF: only with PW3 verified or blocked (spec 3.4 §7.2.16). */
function terminateDf(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new StatusError(SW_INCORRECT_P1P2);
  const s = ctx.store.state;
  if (s.terminated) return NO_DATA;
  if (!ctx.session.pw3 && s.tries.pw3 !== 0) throw new StatusError(SW_CONDITIONS_OF_USE);
  s.terminated = true;
  ctx.session.clearSecurity();
  ctx.store.save();
  return NO_DATA;
}

/** 7.2.17 ACTIVATE FILE: after TERMINATE DF, back to factory state; else nothing to do. */
function activateFile(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) throw new StatusError(SW_INCORRECT_P1P2);
  if (!ctx.store.state.terminated) return NO_DATA;
  ctx.store.factoryReset();
  ctx.session.clearSecurity();
  return NO_DATA;
}

const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [INS_SELECT, select],
  [0x20, verify],
  [0x24, changeReferenceData],
  [0x2c, resetRetryCounter],
  [0xa5, selectData],
  [0xca, getData],
  [0xcc, getNextData],
  [0xda, putData],
  [0xdb, importKey],
  [0x2a, performSecurityOperation],
  [0x88, internalAuthenticate],
  [0x47, generateKeyPair],
  [0x84, getChallenge],
  [INS_TERMINATE_DF, terminateDf],
  [INS_ACTIVATE_FILE, activateFile],
  [INS_MSE, manageSecurityEnvironment],
  [0xfb, generateAttestation],
]);

/** Instructions only some card families have: INS → the capability that says so. */
const OPTIONAL_INS: ReadonlyMap<number, keyof CardProfile["capabilities"]> = new Map(
  [
    [INS_TERMINATE_DF, "factoryReset"],
    [INS_ACTIVATE_FILE, "factoryReset"],
    [0x84, "getChallenge"],
    [0xdb, "keyImport"],
    [INS_MSE, "mseKeySwap"],
  ] as const,
);

/** Whether the profile's card has instruction `ins`. */
function hasIns(profile: CardProfile, ins: number): boolean {
  const needs = OPTIONAL_INS.get(ins);
  return HANDLERS.has(ins) && (needs === undefined || profile.capabilities[needs] === true);
}

interface PendingChain {
  ins: number;
  p1: number;
  p2: number;
  parts: Uint8Array[];
  length: number;
}

/** The OpenPGP application with its volatile session. One APDU at a time. */
export class OpenPgpApplet {
  readonly session: Session = new Session();
  #ctx: AppletContext;
  #chain: PendingChain | undefined;
  #pending: Uint8Array | undefined;

  constructor(store: CardStore, hooks: AppletHooks, profile?: CardProfile) {
    this.#ctx = {
      store,
      session: this.session,
      hooks,
      profile: profile ?? store.profile,
    };
  }

  /** The card's persistent store. */
  get store(): CardStore {
    return this.#ctx.store;
  }

  /** Card reset or power cycle: selection, security status, chains and pending data go. */
  reset(): void {
    this.session.clear();
    this.#chain = undefined;
    this.#pending = undefined;
  }

  /** Process one raw command APDU and return the raw response. */
  async process(raw: Uint8Array): Promise<Uint8Array> {
    let cmd: CommandApdu;
    try {
      cmd = parseCommandApdu(raw);
      checkCla(cmd.cla, cmd.ins);
      this.#checkTransport(cmd);
    } catch (e) {
      return responseBytes(NO_DATA, swOf(e));
    }
    if (cmd.ins === INS_GET_RESPONSE) return this.#getResponse(cmd);
    this.#pending = undefined;
    const full = this.#chained(cmd);
    if (full === undefined) return responseBytes(NO_DATA, SW_OK);
    if (typeof full === "number") return responseBytes(NO_DATA, full);
    let data: Uint8Array;
    try {
      data = await this.#dispatch(full);
    } catch (e) {
      if (!(e instanceof StatusError)) {
        log.error("Virtual card failed on INS {ins}: {error}", { ins: full.ins, error: e });
      }
      return responseBytes(NO_DATA, swOf(e));
    }
    return this.#frame(data, full);
  }

  /**
   * A card without extended length or command chaining refuses them (profile status words);
   * an extended APDU with more data than 7F66 announces is refused with 6700 (ISO 7816-4
   * §5.6 "wrong length"; what a real YubiKey answers there is not documented).
   */
  #checkTransport(cmd: CommandApdu): void {
    const { capabilities, status } = this.#ctx.profile;
    if (cmd.extended && !capabilities.extendedLength) {
      throw new StatusError(status.extendedUnsupported);
    }
    const limits = extendedLimits(this.#ctx.profile);
    if (cmd.extended && limits && cmd.data.length > limits.command) {
      throw new StatusError(SW_WRONG_LENGTH, `Extended Lc ${cmd.data.length} over 7F66`);
    }
    if ((cmd.cla & CLA_CHAINING) && !capabilities.commandChaining) {
      throw new StatusError(status.chainingUnsupported);
    }
  }

  /** Collect chained commands (CLA bit 0x10); returns the complete command when the last arrives. */
  #chained(cmd: CommandApdu): CommandApdu | number | undefined {
    const chain = this.#chain;
    const same = chain && chain.ins === cmd.ins && chain.p1 === cmd.p1 && chain.p2 === cmd.p2;
    if (!same) this.#chain = undefined;
    const length = (same ? chain.length : 0) + cmd.data.length;
    if (length > MAX_CHAINED) {
      this.#chain = undefined;
      return SW_WRONG_LENGTH;
    }
    if (cmd.cla & CLA_CHAINING) {
      const parts = same ? [...chain.parts, cmd.data] : [cmd.data];
      this.#chain = { ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, parts, length };
      return undefined;
    }
    this.#chain = undefined;
    return same ? { ...cmd, data: concat(...chain.parts, cmd.data) } : cmd;
  }

  #dispatch(cmd: CommandApdu): Uint8Array | Promise<Uint8Array> {
    const ctx = this.#ctx;
    const known = hasIns(ctx.profile, cmd.ins);
    if (cmd.ins === INS_ACTIVATE_FILE && known) return activateFile(cmd, ctx);
    if (ctx.store.state.terminated && cmd.ins !== INS_SELECT) {
      if (cmd.ins === INS_TERMINATE_DF && ctx.session.selected) return NO_DATA;
      throw new StatusError(SW_TERMINATED);
    }
    if (!known) throw new StatusError(ctx.profile.status.unknownIns);
    const handler = HANDLERS.get(cmd.ins)!;
    // Without the application selected only SELECT is understood.
    if (!ctx.session.selected && cmd.ins !== INS_SELECT) {
      throw new StatusError(SW_INS_NOT_SUPPORTED);
    }
    return handler(cmd, ctx);
  }

  /**
   * Short Le (or the profile's largest answer) exceeded: send that much now, the rest through
   * GET RESPONSE (61xx).
   */
  #frame(data: Uint8Array, cmd: CommandApdu): Uint8Array {
    const ne = Math.min(cmd.extended ? this.#maxExtended : cmd.ne || 256, this.#maxResponse);
    if (data.length <= ne) return responseBytes(data, SW_OK);
    return this.#deliver(data, ne);
  }

  get #maxResponse(): number {
    return this.#ctx.profile.maxResponse || Infinity;
  }

  /** Longest answer to an extended APDU: 7F66's response maximum, when announced. */
  get #maxExtended(): number {
    return extendedLimits(this.#ctx.profile)?.response ?? Infinity;
  }

  #deliver(data: Uint8Array, ne: number): Uint8Array {
    const now = data.subarray(0, ne);
    const rest = data.subarray(now.length);
    this.#pending = rest.length ? rest : undefined;
    return responseBytes(now, rest.length ? 0x6100 | (rest.length > 255 ? 0 : rest.length) : SW_OK);
  }

  /** 7.2.9 GET RESPONSE: the next part of a long answer. */
  #getResponse(cmd: CommandApdu): Uint8Array {
    const pending = this.#pending;
    this.#pending = undefined;
    if (cmd.p1 !== 0x00 || cmd.p2 !== 0x00) return responseBytes(NO_DATA, SW_INCORRECT_P1P2);
    if (!pending) return responseBytes(NO_DATA, SW_CONDITIONS_OF_USE);
    const ne = cmd.extended ? Math.min(pending.length, this.#maxExtended) : cmd.ne || 256;
    return this.#deliver(pending, Math.min(ne, this.#maxResponse));
  }
}

function checkCla(cla: number, ins: number): void {
  const base = cla & ~CLA_CHAINING;
  if (base & 0x0c) throw new StatusError(SW_SM_NOT_SUPPORTED);
  // the YubiKey's attestation is the one proprietary-class (80) command (attestation.ts)
  if (base === 0x80 && ins === 0xfb) return;
  if (base !== 0x00) throw new StatusError(SW_CLA_NOT_SUPPORTED);
}

function swOf(e: unknown): number {
  return e instanceof StatusError ? e.sw : SW_UNKNOWN;
}

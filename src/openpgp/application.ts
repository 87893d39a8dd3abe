/**
 * OpenPgpApplication: the OpenPGP card behind the {@link CardApplication} contract.
 *
 * Questions (LEARN without force, GETATTR, READKEY, KEYINFO, READCERT) are answered from the
 * card-state model ({@link CardState}) when it knows the answer; everything else is card work
 * run by {@link OpRunner}: one transaction that SELECTs the application (P2=0C) and — under
 * the default `strict` PIN policy — clears every PIN verification it made (VERIFY P1=FF and a
 * status query, or a card reset where that does not work: pin_reset.ts) before it ends, with
 * any PIN a person must give asked between transactions.
 * Nothing keeps a channel between calls.
 * Policy lives here; APDU building in commands.ts, sending in session.ts, output formats in
 * attributes.ts, sign/auth/decipher in operations.ts (data shaping in crypto_input.ts),
 * prompts in pin_flow.ts, SETATTR/GENKEY/WRITEKEY/PASSWD in admin.ts, key_admin.ts and
 * passwd.ts.
 *
 * Output flavor: `gnupg: "2.4"` (default) emits what stock 2.4 emits; 2.2's gpg and
 * gpg-agent ignore the extra LEARN lines (CARDTYPE, APPVERSION, UIF-n: unknown keywords
 * fall through `learn_status_cb`, and the agent re-sends them verbatim) and the extra
 * KEYPAIRINFO fields (`kpinfo_cb` ends the id at the first space; gpg's
 * `scd_keypairinfo_status_cb` keeps two tokens). `gnupg: "2.2"` reproduces 2.2 byte for
 * byte for conformance traces.
 * @module
 */

import type {
  AuthRequest,
  CardApplication,
  CertRequest,
  ChangePinRequest,
  CheckPinRequest,
  DecipherRequest,
  DecipherResult,
  GenKeyRequest,
  GetAttrRequest,
  KeyInfo,
  LearnRequest,
  OperationContext,
  ReadKeyRequest,
  SetAttrRequest,
  SignRequest,
  WriteCertRequest,
  WriteKeyRequest,
} from "../app/mod.ts";
import { InvalidIdError, NoObjectError, TooLargeError } from "../app/mod.ts";
import { encodePublicKey, keygripHex } from "../formats/mod.ts";
import type { ExchangeObserver } from "../iso7816/mod.ts";
import { toHex } from "../util/bytes.ts";
import { type AdminOptions, setAttr } from "./admin.ts";
import { displaySerialNo } from "./aid.ts";
import type { GnupgFlavor } from "./algorithm.ts";
import type { ApplicationRelatedData } from "./ard.ts";
import { emitAttr, emitKeyPairInfo, emitLearn, type SlotKey } from "./attributes.ts";
import { genKey, writeKey } from "./key_admin.ts";
import { parsePublicKeyTemplate } from "./key_material.ts";
import { openPgpSlot, type Slot, slotKeyRef } from "./key_ref.ts";
import type { Op } from "./op.ts";
import * as ops from "./operations.ts";
import { changePin } from "./passwd.ts";
import { GET_VERSION, isYubikey, yubikeyDisplaySerialNo, yubikeySerialNo } from "./yubikey.ts";
import { CardState } from "./card_state.ts";
import { type CardConnector, OpRunner } from "./runner.ts";
import { OpenPgpSession } from "./session.ts";

export type { CardConnector } from "./runner.ts";

/** Options of {@link OpenPgpApplication}. */
export interface OpenPgpApplicationOptions {
  /** Which stock output to reproduce (default "2.4"). */
  gnupg?: GnupgFlavor;
  /**
   * "strict" (default): reset every PIN verification at the end of the operation;
   * "session": leave the card's security status as it is.
   */
  pinPolicy?: "strict" | "session";
  /** Admin commands allowed (stock default; `--deny-admin` turns it off). */
  allowAdmin?: boolean;
  /** Burst hold in ms (burst_hold.ts): keep the transaction for the next operation. */
  holdMs?: number;
  /** The burst hold's cap in ms (burst_hold.ts `maxMs`; its default when unset). */
  holdMaxMs?: number;
  /** APDU trace hook (callers redact VERIFY/CHANGE/RESET bodies). */
  observer?: ExchangeObserver;
  signal?: AbortSignal;
}

export type { Op } from "./op.ts";

const RSA_SMALL_SIZE_KEY = 1952;

/** stock `cardtype` heuristics from the ATR (scd/app.c `app_new_register`); YubiKeys are not probed. */
export function cardTypeFromAtr(atr: Uint8Array): string | undefined {
  if (atr.length === 21 && atr[2] === 0x11) return "gnuk";
  if (atr.length === 21 && atr[7] === 0x75) return "zeitcontrol";
  if (toHex(atr) === "3BF99600008031FE455343453720" + "0F0020464E") return "smartcafe";
  return undefined;
}

/** The OpenPGP card application. */
export class OpenPgpApplication implements CardApplication {
  readonly appType = "openpgp";
  readonly serialNo: string;
  readonly displaySerialNo: string;
  /** CARDTYPE as stock 2.4 would report it ("yubikey", "gnuk", …), if recognised. */
  readonly cardType: string | undefined;
  /** Firmware version (YubiKeys: major << 16 | minor << 8 | patch), if known. */
  readonly cardVersion: number | undefined;
  #cardState: CardState;
  #runner: OpRunner;
  #options: OpenPgpApplicationOptions;
  #keys: { generation: number; keys: (SlotKey | undefined)[] } | undefined;
  #atr: Uint8Array;

  private constructor(
    connect: CardConnector,
    ard: ApplicationRelatedData,
    cardState: CardState,
    card: { reader: string; atr: Uint8Array; version: number | undefined },
    options: OpenPgpApplicationOptions,
  ) {
    this.#cardState = cardState;
    this.#options = options;
    this.#atr = card.atr;
    this.#runner = new OpRunner({
      connect,
      cardState,
      reader: card.reader,
      atr: card.atr,
      aid: ard.aid.raw,
      makeOp: (session, ard, ctx) => this.#makeOp(session, ard, ctx),
      strict: (options.pinPolicy ?? "strict") === "strict",
      holdMs: options.holdMs ?? 0,
      ...(options.holdMaxMs !== undefined ? { holdMaxMs: options.holdMaxMs } : {}),
      observer: options.observer,
      signal: options.signal,
    });
    // a YubiKey says so twice: Yubico's ID in the AID and its applet's GET VERSION (stock
    // probes the management applet instead, gpg/gnupg:scd/app.c; a card with the ID alone is
    // a plain OpenPGP card to it)
    const yubikey = isYubikey(ard.aid) && card.version !== undefined;
    this.cardVersion = card.version;
    this.cardType = yubikey ? "yubikey" : cardTypeFromAtr(card.atr);
    this.serialNo = yubikey && this.#flavor === "2.4" ? yubikeySerialNo(ard.aid) : ard.aid.serialNo;
    this.displaySerialNo = yubikey
      ? yubikeyDisplaySerialNo(ard.aid, card.version)
      : displaySerialNo(ard.aid);
  }

  /** SELECT the application and read its ARD; fails if the card has no OpenPGP application. */
  static async open(
    connect: CardConnector,
    options: OpenPgpApplicationOptions = {},
  ): Promise<OpenPgpApplication> {
    const cardState = new CardState();
    const signalOpt = options.signal ? { signal: options.signal } : {};
    return await connect(async (channel) => {
      const session = await OpenPgpSession.open(channel, { cardState, ...signalOpt });
      const ard = await session.applicationRelatedData();
      let version: number | undefined;
      if (isYubikey(ard.aid)) {
        const r = await session.transmit(GET_VERSION);
        if (r.sw === 0x9000 && r.data.length >= 3) {
          version = (r.data[0]! << 16) | (r.data[1]! << 8) | r.data[2]!;
        }
      }
      const card = { reader: channel.reader, atr: channel.atr, version };
      return new OpenPgpApplication(connect, ard, cardState, card, options);
    }, signalOpt);
  }

  get #flavor(): GnupgFlavor {
    return this.#options.gnupg ?? "2.4";
  }

  /** Forget cached DOs, public keys and grips (reader event, reset, another client's writes). */
  invalidate(): void {
    this.#cardState.invalidate();
    this.#keys = undefined;
  }

  /** The card left its reader: no PIN goes to any card on this application's behalf. */
  retire(): void {
    this.#runner.retire(); // the registry forgets the card right after (invalidate, release)
  }

  /** AID, ATR and the three key fingerprints as last read (hex), for the same-card check. */
  identity(): string | undefined {
    const ard = this.#cardState.lastArd;
    if (!ard) return undefined;
    return [ard.aid.raw, this.#atr, ...ard.fingerprints].map(toHex).join(":");
  }

  /** End a held transaction now (resets the PIN status first). */
  release(): Promise<void> {
    return this.#runner.release();
  }

  /** How old the card-state model is (ms), for the scd layer's age limit. */
  stateAgeMs(): number {
    return Date.now() - this.#cardState.since;
  }

  /** The working set of one call on `session`. */
  #makeOp(session: OpenPgpSession, ard: ApplicationRelatedData, ctx: OperationContext): Op {
    const op: Op = {
      ctx,
      session,
      ard,
      pin: ctx.pin,
      status: ctx.status,
      flavor: this.#flavor,
      serialNo: this.serialNo,
      displaySerialNo: this.displaySerialNo,
      keys: () => this.#slotKeys(session, op.ard),
      ...(this.cardType ? { cardType: this.cardType } : {}),
      ...(this.cardVersion !== undefined ? { cardVersion: this.cardVersion } : {}),
    };
    return op;
  }

  /** Card work (one transaction per PIN a person gives, plus one). */
  #run<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    return this.#runner.run(ctx, fn);
  }

  /** A question: from the model with no APDU when it knows the answer. */
  #query<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    return this.#runner.query(ctx, fn);
  }

  /** Public keys and grips of all slots (kept until the card model is invalidated). */
  async #slotKeys(
    session: OpenPgpSession,
    ard: ApplicationRelatedData,
  ): Promise<(SlotKey | undefined)[]> {
    if (this.#keys && this.#keys.generation === this.#cardState.generation) return this.#keys.keys;
    const keys: (SlotKey | undefined)[] = [];
    for (const slot of [0, 1, 2] as Slot[]) keys.push(await this.#readSlotKey(session, ard, slot));
    this.#keys = { generation: this.#cardState.generation, keys };
    return keys;
  }

  async #readSlotKey(
    session: OpenPgpSession,
    ard: ApplicationRelatedData,
    slot: Slot,
  ): Promise<SlotKey | undefined> {
    const attr = ard.algorithmAttributes[slot];
    let le: number | "max" = "max";
    if (
      attr.type === "rsa" && attr.nBits > RSA_SMALL_SIZE_KEY &&
      ard.historical?.capabilities.extendedLength
    ) {
      // gnupg determine_rsa_response: 7F49 header + 81 n + 82 e.
      le = 2 + 3 + 4 + Math.ceil(attr.nBits / 8) + 2 + Math.ceil(attr.eBits / 8);
    }
    try {
      const publicKey = parsePublicKeyTemplate(await session.readPublicKey(slot, le), attr, slot);
      return { slot, publicKey, keygrip: keygripHex(publicKey) };
    } catch (e) {
      if (e instanceof NoObjectError) return undefined;
      throw e;
    }
  }

  learn(request: LearnRequest, ctx: OperationContext): Promise<void> {
    const fn = (op: Op) => emitLearn(op, request.keyPairInfoOnly ? { keyPairInfoOnly: true } : {});
    if (!request.force) return this.#query(ctx, fn);
    this.invalidate(); // LEARN --force (gpg --card-status) re-reads the card, as stock does
    return this.#run(ctx, fn);
  }

  readKey(request: ReadKeyRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#query(ctx, async (op) => {
      const slot = await ops.readKeySlot(op, request.keyRef);
      const key = (await op.keys())[slot];
      // stock answers an empty slot with NO_OBJ "Missing item in object" (2.2.40 and 2.4.7 on
      // the test bed, docs/conformance.md), and gpg's card-status treats that as "no key"
      if (!key) throw new NoObjectError(`Cannot read key ${slotKeyRef(slot)}: slot is empty`);
      if (request.info && this.#flavor === "2.4") await emitKeyPairInfo(op, key);
      return encodePublicKey(key.publicKey);
    });
  }

  readCert(request: CertRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#query(ctx, (op) => ops.readCertificate(op, request.certId));
  }

  /** WRITECERT OPENPGP.3: the cardholder certificate DO 7F21 (stock: SETATTR CERT-3). */
  writeCert(request: WriteCertRequest, ctx: OperationContext): Promise<void> {
    if (openPgpSlot(request.certId) !== 2) {
      return Promise.reject(new InvalidIdError(`Cannot write certificate "${request.certId}"`));
    }
    if (request.data.length > 65535) {
      return Promise.reject(new TooLargeError("Cannot write certificate: more than 65535 bytes"));
    }
    return this.#run(
      ctx,
      (op) => setAttr(op, { name: "CERT-3", value: request.data }, this.#adminOptions()),
    );
  }

  getAttr(request: GetAttrRequest, ctx: OperationContext): Promise<void> {
    return this.#query(ctx, (op) => emitAttr(op, request.name));
  }

  sign(request: SignRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, (op) => ops.sign(op, request));
  }

  auth(request: AuthRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, (op) => ops.auth(op, request));
  }

  decipher(request: DecipherRequest, ctx: OperationContext): Promise<DecipherResult> {
    return this.#run(ctx, (op) => ops.decipher(op, request));
  }

  checkPin(request: CheckPinRequest, ctx: OperationContext): Promise<void> {
    return this.#run(ctx, (op) => ops.checkPin(op, request));
  }

  listKeys(ctx: OperationContext): Promise<KeyInfo[]> {
    return this.#query(ctx, (op) => ops.listKeys(op));
  }

  random(length: number, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, (op) => op.session.getChallenge(length));
  }

  setAttr(request: SetAttrRequest, ctx: OperationContext): Promise<void> {
    return this.#run(ctx, (op) => setAttr(op, request, this.#adminOptions()));
  }

  writeKey(request: WriteKeyRequest, ctx: OperationContext): Promise<void> {
    return this.#run(ctx, (op) => writeKey(op, request, this.#adminOptions()));
  }

  genKey(request: GenKeyRequest, ctx: OperationContext): Promise<void> {
    return this.#run(ctx, (op) => genKey(op, request, this.#adminOptions()));
  }

  changePin(request: ChangePinRequest, ctx: OperationContext): Promise<void> {
    return this.#run(ctx, (op) => changePin(op, request, this.#adminOptions()));
  }

  #adminOptions(): AdminOptions {
    return { allowAdmin: this.#options.allowAdmin ?? true };
  }
}

/**
 * OpenPgpApplication: the OpenPGP card behind the {@link CardApplication} contract.
 *
 * Each method is one card operation: it asks the connector for a channel (one PC/SC
 * transaction), SELECTs the application (P2=0C), works from the {@link CardCache}, and —
 * under the default `strict` PIN policy — clears every PIN verification it made (VERIFY
 * P1=FF, v3 cards) before the transaction ends. Nothing keeps a channel between calls.
 * Policy lives here; APDU building in commands.ts, sending in session.ts, output formats in
 * attributes.ts, data shaping in crypto_input.ts, prompts in pin_flow.ts.
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
  LearnRequest,
  OperationContext,
  ReadKeyRequest,
  SetAttrRequest,
  SignRequest,
  WriteCertRequest,
  WriteKeyRequest,
} from "../app/application.ts";
import {
  GeneralError,
  InvalidIdError,
  InvalidValueError,
  NoObjectError,
  NoPublicKeyError,
  PinBlockedError,
  TooLargeError,
} from "../app/errors.ts";
import type { KeyInfo } from "../app/key.ts";
import { encodePublicKey, publicKeyAlgoString } from "../formats/public_key.ts";
import { keygripHex } from "../formats/keygrip.ts";
import type { ExchangeObserver } from "../iso7816/processors.ts";
import type { CardChannel } from "../iso7816/mod.ts";
import { displaySerialNo } from "./aid.ts";
import type { GnupgFlavor } from "./algorithm.ts";
import type { ApplicationRelatedData } from "./ard.ts";
import {
  type AttrContext,
  emitAttr,
  emitKeyPairInfo,
  emitLearn,
  type SlotKey,
} from "./attributes.ts";
import {
  authCardInput,
  decipherCardInput,
  decipherResult,
  signCardInput,
  signDigest,
} from "./crypto_input.ts";
import { makeChallenge, verifyChallenge } from "./challenge.ts";
import {
  checkKeyIdStr,
  isKeygrip,
  openPgpSlot,
  type Slot,
  SLOT_USAGE,
  slotKeyRef,
} from "./key_ref.ts";
import { parsePublicKeyTemplate } from "./key_material.ts";
import { type PinFlowContext, verifyAdminPin, verifyUserPin } from "./pin_flow.ts";
import { parsePwStatus } from "./pw_status.ts";
import { CardCache, OpenPgpSession } from "./session.ts";
import { type AdminOptions, setAttr } from "./admin.ts";
import { genKey, writeKey } from "./key_admin.ts";
import { changePin } from "./passwd.ts";
import { toHex } from "../util/bytes.ts";

/** Runs `fn` with exclusive use of the card (one PC/SC transaction) and releases it. */
export type CardConnector = <T>(
  fn: (channel: CardChannel) => Promise<T>,
  options?: { signal?: AbortSignal },
) => Promise<T>;

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
  /** APDU trace hook (callers redact VERIFY/CHANGE/RESET bodies). */
  observer?: ExchangeObserver;
  signal?: AbortSignal;
}

/** One operation's working set. */
export interface Op extends PinFlowContext, AttrContext {
  ctx: OperationContext;
}

const RSA_SMALL_SIZE_KEY = 1952;
const RSA_SMALL_SIZE_OP = 2048;

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
  /** CARDTYPE as stock 2.4 would report it, if recognised from the ATR. */
  readonly cardType: string | undefined;
  #connect: CardConnector;
  #cache: CardCache;
  #options: OpenPgpApplicationOptions;
  #keys: { generation: number; keys: (SlotKey | undefined)[] } | undefined;

  private constructor(
    connect: CardConnector,
    ard: ApplicationRelatedData,
    cache: CardCache,
    atr: Uint8Array,
    options: OpenPgpApplicationOptions,
  ) {
    this.#connect = connect;
    this.#cache = cache;
    this.#options = options;
    this.serialNo = ard.aid.serialNo;
    this.displaySerialNo = displaySerialNo(ard.aid);
    this.cardType = cardTypeFromAtr(atr);
  }

  /** SELECT the application and read its ARD; fails if the card has no OpenPGP application. */
  static async open(
    connect: CardConnector,
    options: OpenPgpApplicationOptions = {},
  ): Promise<OpenPgpApplication> {
    const cache = new CardCache();
    const signalOpt = options.signal ? { signal: options.signal } : {};
    return await connect(async (channel) => {
      const session = await OpenPgpSession.open(channel, { cache, ...signalOpt });
      const ard = await session.applicationRelatedData();
      return new OpenPgpApplication(connect, ard, cache, channel.atr, options);
    }, signalOpt);
  }

  get #flavor(): GnupgFlavor {
    return this.#options.gnupg ?? "2.4";
  }

  /** Forget cached DOs, public keys and grips (reader event, reset, another client's writes). */
  invalidate(): void {
    this.#cache.invalidate();
    this.#keys = undefined;
  }

  /** One card operation: connect, SELECT, ARD, run `fn`, then the PIN policy. */
  async #run<T>(ctx: OperationContext, fn: (op: Op) => Promise<T>): Promise<T> {
    const signal = ctx.signal ?? this.#options.signal;
    const signalOpt = signal ? { signal } : {};
    return await this.#connect(async (channel) => {
      const session = new OpenPgpSession(channel, {
        cache: this.#cache,
        ...signalOpt,
        ...(this.#options.observer ? { observer: this.#options.observer } : {}),
      });
      await session.select();
      const ard = await session.applicationRelatedData();
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
      };
      try {
        return await fn(op);
      } finally {
        if ((this.#options.pinPolicy ?? "strict") === "strict" && ard.aid.appVersion >= 0x0300) {
          for (const ref of [...session.touched]) {
            await session.resetVerification(ref).catch(() => {});
          }
        }
      }
    }, signalOpt);
  }

  /** Public keys and grips of all slots (cached until the card cache is invalidated). */
  async #slotKeys(
    session: OpenPgpSession,
    ard: ApplicationRelatedData,
  ): Promise<(SlotKey | undefined)[]> {
    if (this.#keys && this.#keys.generation === this.#cache.generation) return this.#keys.keys;
    const keys: (SlotKey | undefined)[] = [];
    for (const slot of [0, 1, 2] as Slot[]) keys.push(await this.#readSlotKey(session, ard, slot));
    this.#keys = { generation: this.#cache.generation, keys };
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

  /** Slot for a READKEY id: OPENPGP.n or a keygrip of this card. */
  async #readKeySlot(op: Op, keyRef: string): Promise<Slot> {
    const slot = openPgpSlot(keyRef);
    if (slot !== undefined) return slot;
    if (keyRef.length === 40) {
      const hit = (await op.keys()).find((k) => k?.keygrip === keyRef);
      if (hit) return hit.slot;
    }
    throw new InvalidIdError(`Cannot read key "${keyRef}": unknown key reference`);
  }

  /** `check_keyidstr` with the grips read only when the id is a keygrip. */
  async #checkKeyId(
    op: Op,
    idStr: string,
    keyNo: 0 | 1 | 2 | 3,
    allowAuth = false,
  ): Promise<{ useAuth: boolean }> {
    const grips = isKeygrip(idStr.slice(0, 40)) ? (await op.keys()).map((k) => k?.keygrip) : [];
    return checkKeyIdStr(idStr, {
      serialNo: this.serialNo,
      grips,
      fingerprints: op.ard.fingerprints,
    }, {
      keyNo,
      allowAuth,
    });
  }

  learn(request: LearnRequest, ctx: OperationContext): Promise<void> {
    this.invalidate(); // LEARN is the user asking for the card's current state
    return this.#run(
      ctx,
      (op) => emitLearn(op, request.keyPairInfoOnly ? { keyPairInfoOnly: true } : {}),
    );
  }

  readKey(request: ReadKeyRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, async (op) => {
      const slot = await this.#readKeySlot(op, request.keyRef);
      const key = (await op.keys())[slot];
      if (!key) throw new NoPublicKeyError(`Cannot read key ${slotKeyRef(slot)}: slot is empty`);
      if (request.info && this.#flavor === "2.4") await emitKeyPairInfo(op, key);
      return encodePublicKey(key.publicKey);
    });
  }

  readCert(request: CertRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, async (op) => {
      if (openPgpSlot(request.certId) !== 2) {
        throw new InvalidIdError(`Cannot read certificate "${request.certId}"`);
      }
      const cert = await op.session.getData(0x7f21);
      if (!cert || cert.length === 0) {
        throw new NoObjectError("Cannot read certificate: none stored");
      }
      return cert;
    });
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
    return this.#run(ctx, (op) => emitAttr(op, request.name));
  }

  sign(request: SignRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, async (op) => {
      const isV2 = op.ard.aid.appVersion >= 0x0200;
      const digest = signDigest(request.hash, request.data, isV2);
      const slot = openPgpSlot(request.keyRef);
      const useAuth = slot === 0
        ? false
        : slot === 2
        ? true
        : (await this.#checkKeyId(op, request.keyRef, 1, true)).useAuth;
      const attr = op.ard.algorithmAttributes[useAuth ? 2 : 0];
      const input = signCardInput(request.hash, digest, {
        withDigestInfo: useAuth || attr.type === "rsa",
        isV2,
      });
      if (useAuth) return await this.#authenticate(op, input);
      await verifyUserPin(op, 1);
      const le = rsaLe(op.ard, 0) ?? "max";
      return await op.session.computeSignature(input, le);
    });
  }

  auth(request: AuthRequest, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, async (op) => {
      if (request.data.length === 0) return await this.#challengeResponse(op, request.keyRef);
      if (openPgpSlot(request.keyRef) !== 2) await this.#checkKeyId(op, request.keyRef, 3);
      return await this.#authenticate(op, request.data);
    });
  }

  /**
   * 2.4 `PKAUTH --challenge-response`: sign a random challenge with OPENPGP.3 and verify
   * the answer here; the command layer then sends no data.
   */
  async #challengeResponse(op: Op, keyRef: string): Promise<Uint8Array> {
    const key = (await op.keys())[2];
    if (!key) throw new NoObjectError("Cannot authenticate: no authentication key");
    const challenge = makeChallenge(op.ard.algorithmAttributes[2]);
    if (openPgpSlot(keyRef) !== 2) await this.#checkKeyId(op, keyRef, 3);
    await verifyUserPin(op, 2);
    const sig = await op.session.internalAuthenticate(challenge, rsaLe(op.ard, 2) ?? "max");
    verifyChallenge(key.publicKey, challenge, sig);
    return sig;
  }

  /** do_auth after the key check: reshape, PW1 (82), INTERNAL AUTHENTICATE. */
  async #authenticate(op: Op, data: Uint8Array): Promise<Uint8Array> {
    const attr = op.ard.algorithmAttributes[2];
    const input = authCardInput(data, attr);
    await verifyUserPin(op, 2);
    const caps = op.ard.historical?.capabilities;
    if (input.length > 255 && !caps?.extendedLength && !caps?.commandChaining) {
      throw new InvalidValueError(
        `Cannot authenticate: ${input.length} bytes need extended length`,
      );
    }
    return await op.session.internalAuthenticate(input, rsaLe(op.ard, 2) ?? "max");
  }

  decipher(request: DecipherRequest, ctx: OperationContext): Promise<DecipherResult> {
    return this.#run(ctx, async (op) => {
      if (request.data.length === 0) throw new InvalidValueError("Cannot decipher: no data");
      if (openPgpSlot(request.keyRef) !== 1) await this.#checkKeyId(op, request.keyRef, 2);
      await verifyUserPin(op, 2);
      const attr = op.ard.algorithmAttributes[1];
      const input = decipherCardInput(request.data, attr);
      const le = attr.type === "rsa" && op.ard.historical?.capabilities.extendedLength &&
          (input.length > 254 || attr.nBits > RSA_SMALL_SIZE_OP)
        ? attr.nBits / 8
        : "max";
      const out = await op.session.decipher(input, le);
      return { plaintext: decipherResult(out, attr), padding: 0 };
    });
  }

  checkPin(request: CheckPinRequest, ctx: OperationContext): Promise<void> {
    return this.#run(ctx, async (op) => {
      await this.#checkKeyId(op, request.idStr, 0);
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
    });
  }

  random(length: number, ctx: OperationContext): Promise<Uint8Array> {
    return this.#run(ctx, (op) => op.session.getChallenge(length));
  }

  listKeys(ctx: OperationContext): Promise<KeyInfo[]> {
    return this.#run(ctx, async (op) => {
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
    });
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
    return {
      allowAdmin: this.#options.allowAdmin ?? true,
      readSlotKey: (op, slot) => this.#readSlotKey(op.session, op.ard, slot),
    };
  }
}

/** Extended Le for RSA results over 2048 bits on extended-length cards (gnupg RSA_SMALL_SIZE_OP). */
function rsaLe(ard: ApplicationRelatedData, slot: Slot): number | undefined {
  const attr = ard.algorithmAttributes[slot];
  if (
    attr.type === "rsa" && attr.nBits > RSA_SMALL_SIZE_OP &&
    ard.historical?.capabilities.extendedLength
  ) {
    return attr.nBits / 8;
  }
  return undefined;
}

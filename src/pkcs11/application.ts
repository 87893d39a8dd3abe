/**
 * A PKCS#11 token behind the card-application contract (src/app): LEARN, KEYINFO, READKEY,
 * READCERT, PKSIGN, PKAUTH, PKDECRYPT (RSA) and CHECKPIN; GENKEY (key_admin.ts), PASSWD and
 * CHV-STATUS (pin_admin.ts). Keys are named `P11.<hex CKA_ID>`
 * or by keygrip. Each call is one session (token.ts); a call that needs the user PIN asks for
 * it before the session opens (never while a token operation is under way), logs in once and
 * never resends a PIN the token rejected.
 * @module
 */

import {
  type CardApplication,
  type CertRequest,
  type ChangePinRequest,
  type CheckPinRequest,
  type DecipherRequest,
  type DecipherResult,
  type GenKeyRequest,
  InvalidIdError,
  InvalidNameError,
  type KeyInfo,
  type LearnRequest,
  NoObjectError,
  NotFoundError,
  NotSupportedError,
  type OperationContext,
  type ReadKeyRequest,
  type SignRequest,
  UnsupportedOperationError,
} from "../app/mod.ts";
import { encodePublicKey } from "../formats/mod.ts";
import { appError } from "./errors.ts";
import {
  authInput,
  decryptInput,
  ecdhPoint,
  ecdhResult,
  mechanismOf,
  signInput,
} from "./crypto_input.ts";
import {
  alwaysAuthenticate,
  findPrivateKey,
  readKeys,
  type Token,
  type TokenKey,
} from "./token.ts";
import type { SlotKey, TokenAccess } from "./access.ts";
import { withLogin } from "./login.ts";
import { genKey } from "./key_admin.ts";
import { changePin, chvAttr } from "./pin_admin.ts";

/**
 * KEYPAIRINFO usage letters by key type (RSA and NIST-curve keys also decrypt; EdDSA signs;
 * Curve25519 only decrypts).
 */
function usageOf(key: TokenKey): KeyInfo["usage"] {
  const flags = key.publicKey.type === "ecc" ? key.publicKey.flags : undefined;
  return flags === "eddsa" ? "sa" : flags === "djb-tweak" ? "e" : "sae";
}

/**
 * The PKCS#11 application of one token, or of the tokens one device shows in several slots with
 * one serial (OpenSC gives an OpenPGP card a slot per PIN: "User PIN" and "User PIN (sig)"); a
 * key's operations run on its own slot.
 */
export class Pkcs11Application implements CardApplication {
  /**
   * gnupg's tools show a card's keys only for the application types they know (gpg-card
   * `list_card`: OpenPGP, PIV, NKS, P15); P15's listing is the generic one (every KEYPAIRINFO,
   * retry counters), and PKCS#15 is the on-card layout behind most PKCS#11 tokens. So a token
   * calls itself "p15" (docs/pkcs11.md).
   */
  readonly appType = "p15";
  readonly serialNo: string;
  readonly displaySerialNo: string;
  readonly cardType = "pkcs11";
  #tokens: readonly Token[];
  #keys: Promise<SlotKey[]> | undefined;

  /** `tokens`: one or more tokens of one serial (see {@linkcode tokenSerial}). */
  constructor(tokens: readonly Token[]) {
    const first = tokens[0];
    if (!first) throw new RangeError("Cannot make a PKCS#11 application without a token");
    this.#tokens = tokens;
    this.serialNo = first.serialNo;
    this.displaySerialNo = first.info.serialNumber || first.serialNo;
  }

  /** Every slot's keys (a CKA_ID seen in an earlier slot wins), read once until invalidated. */
  #readKeys(): Promise<SlotKey[]> {
    this.#keys ??= (async () => {
      const keys: SlotKey[] = [];
      for (const token of this.#tokens) {
        const found = await token.withSession((s) => readKeys(token.module, s));
        for (const key of found) {
          if (!keys.some((k) => k.keyRef === key.keyRef)) keys.push({ ...key, token });
        }
      }
      return keys;
    })().catch((e) => {
      this.#keys = undefined;
      throw appError(e);
    });
    return this.#keys;
  }

  /** The key a reference names: `P11.<hex id>` or a keygrip. */
  async #key(keyRef: string): Promise<SlotKey> {
    const keys = await this.#readKeys();
    const ref = keyRef.trim().toUpperCase();
    if (/^[0-9A-F]{40}$/.test(ref)) {
      const key = keys.find((k) => k.keygrip === ref);
      if (!key) throw new NotFoundError(`Cannot find key ${ref} on token ${this.serialNo}`);
      return key;
    }
    if (!ref.startsWith("P11.")) throw new InvalidIdError(`Cannot use key reference "${keyRef}"`);
    const key = keys.find((k) => k.keyRef.toUpperCase() === ref);
    if (!key) throw new NotFoundError(`Cannot find key ${keyRef} on token ${this.serialNo}`);
    return key;
  }

  async learn(request: LearnRequest, ctx: OperationContext): Promise<void> {
    if (request.force) this.invalidate();
    const keys = await this.#readKeys();
    if (!request.keyPairInfoOnly) {
      await ctx.status.emitRaw("APPTYPE", this.appType);
      await ctx.status.emit("DISP-SERIALNO", this.displaySerialNo);
      // stock sends MANUFACTURER unescaped (send_status_printf); gpg-card shows it as is
      await ctx.status.emitRaw("MANUFACTURER", `0 ${this.#tokens[0]!.info.manufacturer}`);
      for (const key of keys) {
        if (key.certificate) await ctx.status.emitRaw("CERTINFO", `100 ${key.keyRef}`);
      }
    }
    for (const key of keys) await this.#keyPairInfo(key, ctx);
    // after the keys, as stock's app-p15 sends them (gpg-card's "PIN retry counter")
    if (!request.keyPairInfoOnly) await chvAttr(this.#tokens[0]!, "CHV-STATUS", ctx);
    if (!request.keyPairInfoOnly) await chvAttr(this.#tokens[0]!, "CHV-LABEL", ctx);
  }

  /** `KEYPAIRINFO <grip> <keyref> <usage> <time> <algo>` (2.4's form; 2.2 reads the first 3). */
  async #keyPairInfo(key: SlotKey, ctx: OperationContext): Promise<void> {
    await ctx.status.emitRaw(
      "KEYPAIRINFO",
      `${key.keygrip} ${key.keyRef} ${usageOf(key)} 0 ${key.algo}`,
    );
  }

  async readKey(request: ReadKeyRequest, ctx: OperationContext): Promise<Uint8Array> {
    const key = await this.#key(request.keyRef);
    if (request.info) await this.#keyPairInfo(key, ctx);
    return encodePublicKey(key.publicKey);
  }

  async readCert(request: CertRequest): Promise<Uint8Array> {
    const key = await this.#key(request.certId);
    if (!key.certificate) throw new NoObjectError(`No certificate for ${key.keyRef}`);
    return key.certificate.slice();
  }

  async getAttr(request: { name: string }, ctx: OperationContext): Promise<void> {
    const keys = await this.#readKeys();
    switch (request.name) {
      case "SERIALNO":
        return void await ctx.status.emit("SERIALNO", this.serialNo);
      case "$DISPSERIALNO":
        return void await ctx.status.emit("$DISPSERIALNO", this.displaySerialNo);
      case "$AUTHKEYID":
      case "$SIGNKEYID":
      case "$ENCRKEYID": {
        // the first key that can do it, in the token's order (gpg-agent 2.2 lists the
        // $AUTHKEYID key for ssh)
        const want = request.name === "$ENCRKEYID"
          ? "e"
          : request.name === "$AUTHKEYID"
          ? "a"
          : "s";
        const key = keys.find((k) => usageOf(k).includes(want));
        if (key) await ctx.status.emit(request.name, key.keyRef);
        return;
      }
      case "CHV-STATUS":
      case "CHV-LABEL":
        return void await chvAttr(this.#tokens[0]!, request.name, ctx);
      default:
        // also KEY-ATTR, which gpg --card-status asks and ignores the error of (stock's
        // app-p15 answers INV_NAME too)
        throw new InvalidNameError(`Cannot read attribute ${request.name} of a PKCS#11 token`);
    }
  }

  async sign(request: SignRequest, ctx: OperationContext): Promise<Uint8Array> {
    const key = await this.#key(request.keyRef);
    const input = signInput(key.publicKey, request.hash, request.data);
    return await this.#withKey(
      key,
      ctx,
      (s, h, afterInit) =>
        key.token.module.sign(s, h, mechanismOf(key.publicKey), input, afterInit),
    );
  }

  async auth(request: { keyRef: string; data: Uint8Array }, ctx: OperationContext) {
    const key = await this.#key(request.keyRef);
    const input = authInput(key.publicKey, request.data);
    return await this.#withKey(
      key,
      ctx,
      (s, h, afterInit) =>
        key.token.module.sign(s, h, mechanismOf(key.publicKey), input, afterInit),
    );
  }

  async decipher(request: DecipherRequest, ctx: OperationContext): Promise<DecipherResult> {
    const key = await this.#key(request.keyRef);
    const pk = key.publicKey;
    if (pk.type === "ecc") {
      // ECDH (CKM_ECDH1_DERIVE): the shared x-coordinate, as a card gives it
      const point = ecdhPoint(pk, request.data);
      const x = await this.#withKey(
        key,
        ctx,
        (s, h) => key.token.module.deriveEcdh(s, h, point, pk.curve.fieldBytes),
      );
      return { plaintext: ecdhResult(x, pk), padding: 0 };
    }
    const input = decryptInput(pk, request.data);
    const plaintext = await this.#withKey(
      key,
      ctx,
      (s, h, afterInit) => key.token.module.decrypt(s, h, mechanismOf(pk), input, afterInit),
    );
    return { plaintext, padding: 0 }; // CKM_RSA_PKCS removes the padding
  }

  async checkPin(_request: CheckPinRequest, ctx: OperationContext): Promise<void> {
    await withLogin(this.#tokens[0]!, this.serialNo, ctx, () => Promise.resolve());
  }

  /**
   * Log in, find the private key of `key`, run `fn` with it; errors in card terms. `afterInit`
   * is what `fn` runs after its C_SignInit/C_DecryptInit: the context-specific login of a key
   * with CKA_ALWAYS_AUTHENTICATE, else nothing.
   */
  async #withKey<T>(
    key: SlotKey,
    ctx: OperationContext,
    fn: (session: bigint, handle: bigint, afterInit?: () => Promise<void>) => Promise<T>,
  ): Promise<T> {
    return await withLogin(key.token, this.serialNo, ctx, async ({ session, contextLogin }) => {
      const handle = await findPrivateKey(key.token.module, session, key.id);
      if (handle === undefined) {
        throw new NotFoundError(`Cannot find the private key of ${key.keyRef} on the token`);
      }
      const always = await alwaysAuthenticate(key.token.module, session, handle);
      return await fn(session, handle, always ? contextLogin : undefined);
    });
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (await this.#readKeys()).map((k) => ({
      keygrip: k.keygrip,
      keyRef: k.keyRef,
      usage: usageOf(k),
      created: 0,
      algo: k.algo,
    }));
  }

  invalidate(): void {
    this.#keys = undefined;
  }

  identity(): string {
    return this.serialNo;
  }

  genKey(request: GenKeyRequest, ctx: OperationContext): Promise<void> {
    return genKey(this.#access(), request, ctx);
  }

  changePin(request: ChangePinRequest, ctx: OperationContext): Promise<void> {
    return changePin(this.#access(), request, ctx);
  }

  /** What key_admin.ts and pin_admin.ts use of this application. */
  #access(): TokenAccess {
    return {
      serialNo: this.serialNo,
      tokens: this.#tokens,
      key: (keyRef) => this.#key(keyRef),
      login: (token, ctx, fn, rw) =>
        withLogin(token, this.serialNo, ctx, ({ session }) => fn(session), rw),
      invalidate: () => this.invalidate(),
    };
  }

  // --- what a token does not do through scd-ts (yet) ---

  writeCert(): Promise<void> {
    return Promise.reject(new NotSupportedError("Cannot write certificates to a PKCS#11 token"));
  }
  setAttr(): Promise<void> {
    return Promise.reject(new NotSupportedError("Cannot set attributes of a PKCS#11 token"));
  }
  writeKey(): Promise<void> {
    return Promise.reject(new NotSupportedError("Cannot import keys to a PKCS#11 token"));
  }
  random(): Promise<Uint8Array> {
    return Promise.reject(new UnsupportedOperationError("RANDOM is not offered for tokens"));
  }
}

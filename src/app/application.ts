/**
 * The contract between the scd command layer and a card application, the analogue of
 * gnupg's app vtable (scd/app-common.h `struct app_ctx_s` fnc). The OpenPGP application
 * implements it now, a PKCS#11 backend later. Cross-cutting checks (locks, argument syntax)
 * stay in the command layer; applications do card work and emit the status lines that stock
 * app-*.c code emits.
 *
 * Every method takes its request and an {@link OperationContext}; each call is one card
 * operation (one PC/SC transaction in the OpenPGP implementation).
 * @module
 */

import type { HashAlgo } from "../formats/mod.ts";
import type { KeyInfo, KeyRef } from "./key.ts";
import type { PinProvider } from "./pin.ts";
import type { StatusSink } from "./status.ts";

/** What every operation gets from the command layer. */
export interface OperationContext {
  /** PIN source (INQUIRE NEEDPIN through gpg-agent, plus cache). */
  pin: PinProvider;
  /** Status line output of the current command. */
  status: StatusSink;
  /** Aborted when the client cancels or goes away. */
  signal?: AbortSignal;
  /**
   * Called by the application right before it sends a command the card answers only after
   * a touch (the key's touch policy is on), so the client can tell the person; the command
   * goes out at once, nobody waits for this.
   */
  touchPending?: () => void;
  /**
   * Tell the person to enter the PIN on the device's own PIN pad (stock's pin_cb without a
   * return buffer: `INQUIRE POPUPPINPADPROMPT <prompt>`), before the device starts waiting for
   * it. Resolves once the client showed it, with the function that dismisses it
   * (`INQUIRE DISMISSPINPADPROMPT`); rejects when the client refused.
   */
  pinPadPrompt?: (prompt: string) => Promise<() => Promise<void>>;
}

/** LEARN options. */
export interface LearnRequest {
  /** `LEARN --force`: read the card afresh (gpg --card-status); else the model may answer. */
  force?: boolean;
  /** `LEARN --keypairinfo`: only KEYPAIRINFO lines, no CARDTYPE/APPTYPE/APPVERSION. */
  keyPairInfoOnly?: boolean;
}

/** READKEY. */
export interface ReadKeyRequest {
  keyRef: KeyRef;
  /** `--info`/`--info-only`: also emit the key's KEYPAIRINFO line. */
  info?: boolean;
}

/** GETATTR. */
export interface GetAttrRequest {
  name: string;
}

/** SETATTR. */
export interface SetAttrRequest {
  name: string;
  /** The value after percent-plus unescaping (or from INQUIRE VALUE). */
  value: Uint8Array;
}

/** PKSIGN: `data` is the SETDATA buffer (gpg-agent sends a DigestInfo). */
export interface SignRequest {
  keyRef: KeyRef;
  hash: HashAlgo;
  data: Uint8Array;
}

/** PKAUTH. */
export interface AuthRequest {
  keyRef: KeyRef;
  data: Uint8Array;
  /**
   * `data` is exactly what the key signs (the ssh-agent's EdDSA message), not PKAUTH data
   * to reshape as stock's `do_auth` does: that cuts 15 or 19 bytes off any ECC input.
   */
  raw?: boolean;
}

/** PKDECRYPT: `data` is the SETDATA buffer (ciphertext). */
export interface DecipherRequest {
  keyRef: KeyRef;
  data: Uint8Array;
}

/** PKDECRYPT result. */
export interface DecipherResult {
  plaintext: Uint8Array;
  /**
   * Padding info for `S PADDING <n>`: 0 = the card removed the padding (OpenPGP always),
   * undefined = send no PADDING line.
   */
  padding?: number;
}

/** WRITEKEY: `keyData` is the canonical private-key S-expression from INQUIRE KEYDATA. */
export interface WriteKeyRequest {
  keyRef: KeyRef;
  keyData: Uint8Array;
  force?: boolean;
}

/** GENKEY. */
export interface GenKeyRequest {
  keyRef: KeyRef;
  force?: boolean;
  /** Creation time in seconds since the epoch (`--timestamp`); default: now. */
  timestamp?: number;
  /** 2.4 `--algo=` (e.g. "rsa2048", "ed25519"). */
  algo?: string;
}

/** PASSWD. */
export interface ChangePinRequest {
  /** "1", "2", "3" or "OPENPGP.1".."OPENPGP.3". */
  chvRef: string;
  reset?: boolean;
  nullPin?: boolean;
  clear?: boolean;
}

/** CHECKPIN. */
export interface CheckPinRequest {
  idStr: string;
}

/** READCERT. */
export interface CertRequest {
  certId: string;
}

/** WRITECERT: `data` is the DER certificate from INQUIRE CERTDATA. */
export interface WriteCertRequest {
  certId: string;
  data: Uint8Array;
}

/** A card application. */
export interface CardApplication {
  /** APPTYPE in lowercase, e.g. "openpgp". */
  readonly appType: string;
  /** Serial number as stock prints it in `S SERIALNO` (uppercase hex). */
  readonly serialNo: string;
  /** Human-readable serial ($DISPSERIALNO), e.g. "0006 12345678". */
  readonly displaySerialNo: string;
  /** Stock 2.4's card type ("yubikey", "gnuk", …) when recognised; else "generic" is shown. */
  readonly cardType?: string | undefined;

  learn(request: LearnRequest, ctx: OperationContext): Promise<void>;
  readKey(request: ReadKeyRequest, ctx: OperationContext): Promise<Uint8Array>;
  readCert(request: CertRequest, ctx: OperationContext): Promise<Uint8Array>;
  writeCert(request: WriteCertRequest, ctx: OperationContext): Promise<void>;
  getAttr(request: GetAttrRequest, ctx: OperationContext): Promise<void>;
  setAttr(request: SetAttrRequest, ctx: OperationContext): Promise<void>;
  sign(request: SignRequest, ctx: OperationContext): Promise<Uint8Array>;
  auth(request: AuthRequest, ctx: OperationContext): Promise<Uint8Array>;
  decipher(request: DecipherRequest, ctx: OperationContext): Promise<DecipherResult>;
  writeKey(request: WriteKeyRequest, ctx: OperationContext): Promise<void>;
  genKey(request: GenKeyRequest, ctx: OperationContext): Promise<void>;
  changePin(request: ChangePinRequest, ctx: OperationContext): Promise<void>;
  checkPin(request: CheckPinRequest, ctx: OperationContext): Promise<void>;
  /** RANDOM: bytes from the card's GET CHALLENGE. */
  random(length: number, ctx: OperationContext): Promise<Uint8Array>;
  /** Keys present on the card with their grips (KEYINFO, keygrip lookups). */
  listKeys(ctx: OperationContext): Promise<KeyInfo[]>;
  /** Forget everything cached about the card (reader event, reset, card change). */
  invalidate(): void;
  /**
   * The card left its reader (removal, swap): nothing secret may go to whatever card is there
   * now on this application's behalf, not even by an operation already under way.
   */
  retire?(): void;
  /**
   * What tells this card from another of its kind, as last read (OpenPGP: AID, ATR and key
   * fingerprints); the registry compares it when a card comes back after a pcscd restart.
   * Undefined when unknown: the card then counts as another one.
   */
  identity?(): string | undefined;
  /** Milliseconds since what the application knows was last read afresh (age limit). */
  stateAgeMs?(): number;
  /** End anything kept between operations (a held transaction) now; daemon exit. */
  release?(): Promise<void>;
}

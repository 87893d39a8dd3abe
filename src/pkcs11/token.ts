/**
 * One token in one slot of a loaded module: its identity (serial, docs/pkcs11.md), a session per
 * operation, and the keys it holds. Nothing is kept between operations but what was read:
 * every call opens a session and closes it again (with C_Logout first when it logged in), and
 * operations on one token run one after another, because a PKCS#11 login is shared by every
 * session of the process (v2.40 §5.6: the login state belongs to the application).
 * @module
 */

import { sha256 } from "@noble/hashes/sha2.js";
import {
  CKA,
  CKF_TOKEN,
  CKK_EC,
  CKK_EC_EDWARDS,
  CKK_EC_MONTGOMERY,
  CKK_RSA,
  CKO_CERTIFICATE,
  CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY,
  decodeUlong,
  encodeUlong,
  type Pkcs11Module,
  type TokenInfo,
} from "../../ffi/mod.ts";
import { keygripHex, type PublicKey, publicKeyAlgoString } from "../formats/mod.ts";
import { concat, toHex, utf8 } from "../util/bytes.ts";
import {
  certificatePublicKey,
  curveFromEcParams,
  eccPublicKey,
  ecPoint,
  rsaPublicKey,
} from "./public_key.ts";

/** A key pair on the token, found by its CKA_ID. */
export interface TokenKey {
  /** CKA_ID (may be empty). */
  id: Uint8Array;
  /** `P11.<hex CKA_ID>`: the key reference LEARN and KEYINFO report. */
  keyRef: string;
  label: string;
  publicKey: PublicKey;
  /** 40 uppercase hex digits. */
  keygrip: string;
  /** gpg algorithm string ("rsa2048", "nistp256", "ed25519"). */
  algo: string;
  /** Where the public part came from. */
  source: "private-key" | "public-key" | "certificate";
  /** DER certificate with the same CKA_ID, if any. */
  certificate?: Uint8Array;
}

/**
 * The serial `S SERIALNO` reports for a token: the first 16 bytes of SHA-256 over
 * "PKCS#11" ‖ 0 ‖ manufacturerID ‖ 0 ‖ model ‖ 0 ‖ serialNumber (each with its padding
 * blanks removed) as 32 uppercase hex digits. Only what the token itself reports goes in, so
 * the serial stays when the module, its version or the slot number change (docs/pkcs11.md).
 */
export function tokenSerial(info: Pick<TokenInfo, "manufacturer" | "model" | "serialNumber">) {
  const z = Uint8Array.of(0);
  const input = concat(
    utf8("PKCS#11"),
    z,
    utf8(info.manufacturer),
    z,
    utf8(info.model),
    z,
    utf8(info.serialNumber),
  );
  return toHex(sha256(input).subarray(0, 16));
}

/** `P11.` and the CKA_ID in hex (`P11.` alone for an empty id). */
export function keyRefOf(id: Uint8Array): string {
  return `P11.${toHex(id)}`;
}

/** A token: module, slot and what C_GetTokenInfo said when it was found. */
export class Token {
  readonly module: Pkcs11Module;
  readonly slot: number;
  readonly info: TokenInfo;
  readonly serialNo: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(module: Pkcs11Module, slot: number, info: TokenInfo) {
    this.module = module;
    this.slot = slot;
    this.info = info;
    this.serialNo = tokenSerial(info);
  }

  /** How the token shows as a reader: module file name, label and slot. */
  get readerName(): string {
    const file = this.module.path.split("/").pop();
    return `PKCS#11 ${file} ${this.info.label} (slot ${this.slot})`;
  }

  /**
   * Run `fn` in a fresh session (read-write with `rw`: GENKEY, PASSWD), after any operation
   * still running on this token.
   */
  withSession<T>(fn: (session: bigint) => Promise<T>, rw = false): Promise<T> {
    const run = this.#queue.then(async () => {
      const session = await this.module.openSession(this.slot, rw);
      try {
        return await fn(session);
      } finally {
        // a session the module already dropped (token removed) needs no closing
        await this.module.closeSession(session).catch(() => {});
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** The token's flags now (PIN counters change). */
  async flags(): Promise<number> {
    return (await this.module.tokenInfo(this.slot)).flags;
  }

  /** True when the user PIN is locked (CKF_USER_PIN_LOCKED). */
  static pinLocked(flags: number): boolean {
    return (flags & CKF_TOKEN.CKF_USER_PIN_LOCKED) !== 0;
  }
}

/** The handle of the private key with CKA_ID `id` (needs a login when the key is private). */
export async function findPrivateKey(
  module: Pkcs11Module,
  session: bigint,
  id: Uint8Array,
): Promise<bigint | undefined> {
  const found = await module.findObjects(session, [
    { type: CKA.CKA_CLASS, value: encodeUlong(CKO_PRIVATE_KEY) },
    { type: CKA.CKA_ID, value: id },
  ]);
  // an empty CKA_ID in a template matches every key: take the one whose own id is empty too
  for (const handle of found) {
    const [own] = await module.attributes(session, handle, [CKA.CKA_ID]);
    if ((own?.length ?? 0) === id.length) return handle;
  }
  return undefined;
}

/**
 * True when the private key `handle` has CKA_ALWAYS_AUTHENTICATE: each use needs its own
 * context-specific login after the operation's init (v2.40 §4.9; SoftHSM2 2.6 answers
 * CKR_USER_NOT_LOGGED_IN to C_Sign/C_Decrypt without it).
 */
export async function alwaysAuthenticate(
  module: Pkcs11Module,
  session: bigint,
  handle: bigint,
): Promise<boolean> {
  const [value] = await module.attributes(session, handle, [CKA.CKA_ALWAYS_AUTHENTICATE]);
  return value?.[0] === 1;
}

interface Found {
  id: Uint8Array;
  label: string;
  key?: PublicKey;
  source?: TokenKey["source"];
  certificate?: Uint8Array;
  problem?: string;
}

/** The public key an object's own attributes give, if its type is one scd-ts knows. */
export async function objectKey(
  module: Pkcs11Module,
  session: bigint,
  handle: bigint,
): Promise<PublicKey | undefined> {
  const [type, n, e, params, point] = await module.attributes(session, handle, [
    CKA.CKA_KEY_TYPE,
    CKA.CKA_MODULUS,
    CKA.CKA_PUBLIC_EXPONENT,
    CKA.CKA_EC_PARAMS,
    CKA.CKA_EC_POINT,
  ]);
  const keyType = type ? decodeUlong(type) : undefined;
  if (keyType === CKK_RSA && n && e) return rsaPublicKey(n, e);
  const ecc = [CKK_EC, CKK_EC_EDWARDS, CKK_EC_MONTGOMERY];
  if (keyType !== undefined && ecc.includes(keyType) && params && point) {
    return eccPublicKey(curveFromEcParams(params), ecPoint(point));
  }
  return undefined;
}

/**
 * Every key pair the session can see, by CKA_ID: the public part from a private key object's
 * own attributes, else a public key object, else a certificate. Without a login private key
 * objects are usually hidden; a public key object or certificate then stands for the pair.
 * Objects that cannot be read (an unknown curve) are passed over.
 */
export async function readKeys(module: Pkcs11Module, session: bigint): Promise<TokenKey[]> {
  const byId = new Map<string, Found>();
  const sources: [number, TokenKey["source"]][] = [
    [CKO_PRIVATE_KEY, "private-key"],
    [CKO_PUBLIC_KEY, "public-key"],
    [CKO_CERTIFICATE, "certificate"],
  ];
  for (const [cls, source] of sources) {
    const handles = await module.findObjects(session, [
      { type: CKA.CKA_CLASS, value: encodeUlong(cls) },
    ]);
    for (const handle of handles) {
      const [id, label, value] = await module.attributes(session, handle, [
        CKA.CKA_ID,
        CKA.CKA_LABEL,
        CKA.CKA_VALUE,
      ]);
      const hex = toHex(id ?? new Uint8Array());
      const found: Found = byId.get(hex) ??
        { id: id ?? new Uint8Array(), label: new TextDecoder().decode(label ?? new Uint8Array()) };
      byId.set(hex, found);
      try {
        if (source === "certificate" && value) found.certificate = value;
        if (found.key) continue;
        const key = source === "certificate" && value
          ? certificatePublicKey(value)
          : await objectKey(module, session, handle);
        if (key) Object.assign(found, { key, source });
      } catch (e) {
        found.problem = (e as Error).message; // a curve or format scd-ts does not know
      }
    }
  }
  // in CKA_ID order: modules list objects in any order (SoftHSM's follows random file names),
  // and the first key is what GETATTR $AUTHKEYID names for ssh
  const ordered = [...byId.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  return ordered.map(([, f]) => f).flatMap((f) => {
    if (!f.key || !f.source) return [];
    const key: TokenKey = {
      id: f.id,
      keyRef: keyRefOf(f.id),
      label: f.label,
      publicKey: f.key,
      keygrip: keygripHex(f.key),
      algo: publicKeyAlgoString(f.key),
      source: f.source,
    };
    if (f.certificate) key.certificate = f.certificate;
    return [key];
  });
}

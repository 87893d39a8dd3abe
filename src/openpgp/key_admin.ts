/**
 * WRITEKEY and GENKEY of the OpenPGP application (scd/app-openpgp.c `do_writekey`,
 * `rsa_writekey`, `ecc_writekey`, `do_genkey`, `read_public_key`, `store_fpr`,
 * `send_key_data`). After a key is stored, its v4 fingerprint and creation time are
 * written to C7–C9 and CE–D0, as stock does.
 * @module
 */

import { emitKeyData, type GenKeyRequest, type WriteKeyRequest } from "../app/mod.ts";
import {
  BadSecretKeyError,
  CardDataError,
  CardStatusError,
  GeneralError,
  InvalidIdError,
  InvalidValueError,
  KeyExistsError,
  NotSupportedError,
  TooLargeError,
  WrongPubkeyAlgoError,
} from "../app/mod.ts";
import {
  curveOid,
  defaultEcdhParams,
  gnupg22EcdhParams,
  type KeyData,
  listToken,
  parsePrivateKey,
  parseSexp,
  PUBKEY_ALGO,
  rsaBits,
  SexpSyntaxError,
  v4Fingerprint,
} from "../formats/mod.ts";
import { findTlv } from "../iso7816/mod.ts";
import { concat, toHex, uintBE, wipe } from "../util/bytes.ts";
import {
  type AdminOptions,
  changeKeyAttr,
  changeKeyAttrFromString,
  requireAdmin,
} from "./admin.ts";
import { algorithmString, isDjbTweak } from "./algorithm.ts";
import type { Op } from "./op.ts";
import { eccImportTemplate, parsePublicKeyTemplate, rsaImportTemplate } from "./key_material.ts";
import { openPgpSlot, type Slot } from "./key_ref.ts";

/** `does_key_exist`: a non-zero fingerprint in a fresh ARD means a key is there. */
async function checkKeyAbsent(op: Op, slot: Slot, force: boolean): Promise<void> {
  let fprs: readonly Uint8Array[];
  try {
    // a fresh DO 6E as stock reads it; the other slots' public keys stay (we write one slot)
    op.session.cardState.invalidate({ keySlot: slot });
    op.ard = await op.session.applicationRelatedData();
    fprs = op.ard.fingerprints;
  } catch (e) {
    throw new GeneralError("Cannot check for an existing key: application data unreadable", {
      cause: e,
    });
  }
  if (!force && fprs[slot]!.some((b) => b !== 0)) {
    throw new KeyExistsError(`Cannot store key ${slot + 1}: a key already exists (use --force)`);
  }
}

/** `store_fpr` with update: PUT DATA C7+slot (fingerprint), then CE+slot (time, cards > 1.0). */
async function storeFingerprint(
  op: Op,
  slot: Slot,
  fpr: Uint8Array,
  created: number,
): Promise<void> {
  await op.session.putData(0xc7 + slot, fpr);
  if (op.ard.aid.appVersion > 0x0100) await op.session.putData(0xce + slot, uintBE(created, 4));
}

/** The gpg algorithm string of a private key (`pubkey_algo_string`). */
function keyAlgoString(k: KeyData): string {
  return k.key.type === "rsa" ? `rsa${rsaBits(k.key.n)}` : k.key.curve.alias;
}

/** WRITEKEY: import a private key into OPENPGP.1–3. */
export async function writeKey(
  op: Op,
  request: WriteKeyRequest,
  options: AdminOptions,
): Promise<void> {
  const slot = openPgpSlot(request.keyRef);
  if (slot === undefined) {
    throw new InvalidIdError(`Cannot write key "${request.keyRef}": unknown key reference`);
  }
  await checkKeyAbsent(op, slot, request.force === true);
  const keyData = parseKeyData(request.keyData);
  const wanted = keyAlgoString(keyData);
  if (algorithmString(op.ard.algorithmAttributes[slot]) !== wanted) {
    await changeKeyAttrFromString(op, { keyRef: request.keyRef, algo: wanted }, options);
  }
  if (keyData.created === 0) {
    throw new InvalidValueError("Cannot write key: creation timestamp missing");
  }
  if (op.ard.aid.appVersion < 0x0200) {
    throw new NotSupportedError("Cannot write key: v1 cards are not supported");
  }
  if (keyData.key.type === "rsa") await writeRsa(op, slot, keyData, options);
  else await writeEcc(op, slot, keyData, options);
}

function parseKeyData(bytes: Uint8Array): KeyData {
  let algo: string | undefined;
  try {
    const root = parseSexp(bytes);
    if (listToken(root) !== "private-key") {
      throw new BadSecretKeyError("Cannot write key: not a private key");
    }
    algo = Array.isArray(root) ? listToken(root[1]) : undefined;
    if (algo !== "rsa" && algo !== "ecc") {
      throw new WrongPubkeyAlgoError(`Cannot write key: algorithm "${algo ?? ""}"`);
    }
    return parsePrivateKey(bytes);
  } catch (e) {
    if (e instanceof SexpSyntaxError) throw new BadSecretKeyError(e.message, { cause: e });
    throw e;
  }
}

async function writeRsa(
  op: Op,
  slot: Slot,
  keyData: KeyData,
  options: AdminOptions,
): Promise<void> {
  const attr = op.ard.algorithmAttributes[slot];
  if (attr.type !== "rsa" || keyData.key.type !== "rsa") {
    throw new InvalidValueError("Cannot write RSA key: slot is not RSA");
  }
  const key = keyData.key;
  if (rsaBits(key.n) !== attr.nBits) {
    throw new BadSecretKeyError(`Cannot write key: modulus is not ${attr.nBits} bits`);
  }
  const eBits = rsaBits(key.e);
  if (eBits < 2 || eBits > attr.eBits) {
    throw new BadSecretKeyError(`Cannot write key: exponent over ${attr.eBits} bits`);
  }
  if (rsaBits(key.p) !== attr.nBits / 2 || rsaBits(key.q) !== attr.nBits / 2) {
    throw new BadSecretKeyError(`Cannot write key: primes are not ${attr.nBits / 2} bits`);
  }
  const template = rsaImportTemplate(slot, attr, key);
  try {
    await requireAdmin(op, options);
    await op.session.importKey(template, slot);
  } finally {
    wipe(template); // the private key in the card's import format
  }
  const pk = { type: "rsa" as const, n: key.n, e: key.e };
  await storeFingerprint(
    op,
    slot,
    v4Fingerprint(pk, keyData.created, { algo: PUBKEY_ALGO.RSA }),
    keyData.created,
  );
}

async function writeEcc(
  op: Op,
  slot: Slot,
  keyData: KeyData,
  options: AdminOptions,
): Promise<void> {
  if (keyData.key.type !== "ecc") {
    throw new InvalidValueError("Cannot write ECC key: not an ECC key");
  }
  const key = keyData.key;
  const algo = slot === 1
    ? PUBKEY_ALGO.ECDH
    : key.curve.name === "Ed25519" || key.curve.name === "Ed448"
    ? PUBKEY_ALGO.EDDSA
    : PUBKEY_ALGO.ECDSA;
  let attr = op.ard.algorithmAttributes[slot];
  if (
    attr.type !== "ecc" || attr.curve.name !== key.curve.name || isDjbTweak(attr) !== key.djbTweak
  ) {
    if (!op.ard.extendedCapabilities.algorithmAttributesChangeable) {
      throw new InvalidValueError("Cannot write key: key attribute on card does not match");
    }
    await changeKeyAttr(op, slot, concat(Uint8Array.of(algo), curveOid(key.curve)), options);
    attr = op.ard.algorithmAttributes[slot];
  }
  if (attr.type !== "ecc") {
    throw new InvalidValueError("Cannot write key: slot did not switch to ECC");
  }
  if (!key.q) throw new BadSecretKeyError("Cannot write key: public point q missing");
  const template = eccImportTemplate(slot, attr, key);
  try {
    await requireAdmin(op, options);
    await op.session.importKey(template, slot);
  } finally {
    wipe(template); // the private key in the card's import format
  }
  const pk = { type: "ecc" as const, curve: key.curve, q: key.q };
  // gpg 2.4 always sends the key's own ecdh-params (g10/card-util.c `card_store_subkey`);
  // without them the client is gpg 2.2, whose ECDH keys carry 2.2's parameters.
  const kdfParams = keyData.ecdhParams ?? gnupg22EcdhParams(key.curve);
  const fpr = v4Fingerprint(pk, keyData.created, { algo, kdfParams });
  await storeFingerprint(op, slot, fpr, keyData.created);
}

/** GENKEY: generate in OPENPGP.1–3; emits KEY-CREATED-AT, KEY-DATA…, KEY-FPR. */
export async function genKey(op: Op, request: GenKeyRequest, options: AdminOptions): Promise<void> {
  const m = /^(?:OPENPGP\.)?([0-9]+)$/i.exec(request.keyRef);
  const slot = m ? Number(m[1]) - 1 : -1;
  if (slot < 0 || slot > 2) {
    throw new InvalidIdError(`Cannot generate key "${request.keyRef}": unknown key number`);
  }
  const s = slot as Slot;
  await checkKeyAbsent(op, s, request.force === true);
  if (request.algo && request.algo !== algorithmString(op.ard.algorithmAttributes[s])) {
    await changeKeyAttrFromString(
      op,
      { keyRef: `OPENPGP.${slot + 1}`, algo: request.algo },
      options,
    );
  }
  const attr = op.ard.algorithmAttributes[s];
  let le: number | "max" = "max";
  if (attr.type === "rsa") {
    if (attr.nBits > 4096) {
      throw new TooLargeError(`Cannot generate RSA ${attr.nBits}: status lines would overflow`);
    }
    if (attr.nBits > 1952 && op.ard.historical?.capabilities.extendedLength) {
      le = 2 + 3 + 4 + Math.ceil(attr.nBits / 8) + 2 + Math.ceil(attr.eBits / 8);
    }
  }
  await requireAdmin(op, options);
  let response: Uint8Array;
  try {
    response = await op.session.generateKeyPair(s, le);
  } catch (e) {
    if (e instanceof CardStatusError) {
      throw new CardDataError(`Cannot generate key: ${e.message}`, { cause: e });
    }
    throw e;
  }
  const body = findTlv(response, 0x7f49);
  if (!body) throw new CardDataError("Cannot generate key: response lacks the public key");
  const created = request.timestamp ?? Math.floor(Date.now() / 1000);
  await op.status.emit("KEY-CREATED-AT", String(created));
  const pk = parsePublicKeyTemplate(response, attr, s);
  let fpr: Uint8Array;
  if (pk.type === "rsa") {
    await emitKeyData(op.status, "n", findTlv(body, 0x81)!);
    await emitKeyData(op.status, "e", findTlv(body, 0x82)!);
    fpr = v4Fingerprint(pk, created, { algo: PUBKEY_ALGO.RSA });
  } else {
    if (attr.type !== "ecc") throw new CardDataError("Cannot generate key: attributes changed");
    const oid = curveOid(pk.curve);
    await emitKeyData(op.status, "q", pk.q);
    await emitKeyData(op.status, "curve", concat(Uint8Array.of(oid.length), oid));
    const kdf = defaultEcdhParams(pk.curve);
    if (s === 1) await emitKeyData(op.status, "kdf/kek", kdf);
    fpr = v4Fingerprint(pk, created, { algo: attr.algo, kdfParams: kdf });
  }
  await storeFingerprint(op, s, fpr, created);
  await op.status.emit("KEY-FPR", toHex(fpr));
}

/**
 * GENKEY on a token (docs/pkcs11.md "GENKEY"). Without `--force` it binds the key that is
 * already there, as gnupg-pkcs11-scd's `cmd_genkey` does (github:alonbl/gnupg-pkcs11-scd
 * gnupg-pkcs11-scd/command.c): it answers `S KEY-CREATED-AT` and the `S KEY-DATA` lines of the
 * existing public key, so gpg can make a key from it. With `--force` it makes a new key pair
 * with `C_GenerateKeyPair` under the reference's CKA_ID (user PIN, read-write session) and only
 * then destroys the objects of the old one (a failed generation leaves the old key). The status
 * lines are those of stock's OpenPGP GENKEY without KEY-FPR (a token stores no OpenPGP
 * fingerprint; stock's app-piv sends none either); gpg-card reads only KEY-CREATED-AT.
 * @module
 */

import {
  emitKeyData,
  type GenKeyRequest,
  InvalidIdError,
  NoObjectError,
  NotFoundError,
  NotSupportedError,
  type OperationContext,
  PubkeyAlgoError,
} from "../app/mod.ts";
import {
  type AttributeInput,
  CKA,
  CKF_TOKEN,
  CKM_EC_EDWARDS_KEY_PAIR_GEN,
  CKM_EC_KEY_PAIR_GEN,
  CKM_RSA_PKCS_KEY_PAIR_GEN,
  CKO_CERTIFICATE,
  CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY,
  destroyObject,
  encodeUlong,
  generateKeyPair,
  type Pkcs11Module,
} from "../../ffi/mod.ts";
import { curveOid, encodeOid, findCurve, type PublicKey } from "../formats/mod.ts";
import { concat, fromHex, utf8 } from "../util/bytes.ts";
import type { TokenAccess } from "./access.ts";
import { objectKey, type Token } from "./token.ts";
import { appError } from "./errors.ts";

/** A key type GENKEY makes: gpg-card's `--algo` names (tools/gpg-card.c `cmd_generate`). */
interface KeySpec {
  mechanism: number;
  pub: AttributeInput[];
  priv: AttributeInput[];
}

const TRUE = Uint8Array.of(1);
const FALSE = Uint8Array.of(0);

/** The templates of `algo`; undefined for one scd-ts does not make. */
export function keySpec(algo: string): KeySpec | undefined {
  const rsa = /^rsa(2048|3072|4096)$/.exec(algo);
  if (rsa) {
    return {
      mechanism: CKM_RSA_PKCS_KEY_PAIR_GEN,
      pub: [
        { type: CKA.CKA_MODULUS_BITS, value: encodeUlong(Number(rsa[1])) },
        { type: CKA.CKA_PUBLIC_EXPONENT, value: Uint8Array.of(1, 0, 1) },
        { type: CKA.CKA_VERIFY, value: TRUE },
        { type: CKA.CKA_ENCRYPT, value: TRUE },
      ],
      priv: [{ type: CKA.CKA_SIGN, value: TRUE }, { type: CKA.CKA_DECRYPT, value: TRUE }],
    };
  }
  if (algo === "ed25519") {
    return {
      mechanism: CKM_EC_EDWARDS_KEY_PAIR_GEN,
      // the curve's name as a PrintableString (PKCS#11 v3.0 §2.3.6 allows it or an OID), the
      // form SoftHSM 2.6 stores; its OID form is refused by SoftHSM 2.6.1
      pub: [
        { type: CKA.CKA_EC_PARAMS, value: concat(Uint8Array.of(0x13, 12), utf8("edwards25519")) },
        { type: CKA.CKA_VERIFY, value: TRUE },
      ],
      priv: [{ type: CKA.CKA_SIGN, value: TRUE }],
    };
  }
  const curve = /^nistp(256|384|521)$/.test(algo) ? findCurve(algo) : undefined;
  if (!curve) return undefined;
  const oid = encodeOid(curve.oid);
  return {
    mechanism: CKM_EC_KEY_PAIR_GEN,
    pub: [
      { type: CKA.CKA_EC_PARAMS, value: concat(Uint8Array.of(0x06, oid.length), oid) },
      { type: CKA.CKA_VERIFY, value: TRUE },
    ],
    priv: [{ type: CKA.CKA_SIGN, value: TRUE }, { type: CKA.CKA_DERIVE, value: TRUE }],
  };
}

/** `S KEY-CREATED-AT` and the KEY-DATA lines of `pk` (n, e or q, curve), as for a card. */
async function emitPublicKey(ctx: OperationContext, pk: PublicKey, created: number) {
  await ctx.status.emit("KEY-CREATED-AT", String(created));
  if (pk.type === "rsa") {
    await emitKeyData(ctx.status, "n", pk.n);
    await emitKeyData(ctx.status, "e", pk.e);
    return;
  }
  const oid = curveOid(pk.curve);
  await emitKeyData(ctx.status, "q", pk.q);
  await emitKeyData(ctx.status, "curve", concat(Uint8Array.of(oid.length), oid));
}

/** The CKA_ID a `P11.<hex>` reference names (non-empty). */
function idOf(keyRef: string): Uint8Array {
  const m = /^P11\.((?:[0-9A-F]{2})+)$/i.exec(keyRef.trim());
  if (!m) throw new InvalidIdError(`Cannot generate a key at "${keyRef}": use P11.<hex id>`);
  return fromHex(m[1]!);
}

/** Handles of every key and certificate object with CKA_ID `id`. */
async function objectsWithId(module: Pkcs11Module, session: bigint, id: Uint8Array) {
  const found: bigint[] = [];
  for (const cls of [CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, CKO_CERTIFICATE]) {
    found.push(
      ...await module.findObjects(session, [
        { type: CKA.CKA_CLASS, value: encodeUlong(cls) },
        { type: CKA.CKA_ID, value: id },
      ]),
    );
  }
  return found;
}

/** GENKEY [--force] [--algo=…] [--timestamp=…] <keyref> on a token. */
export async function genKey(
  app: TokenAccess,
  request: GenKeyRequest,
  ctx: OperationContext,
): Promise<void> {
  const created = request.timestamp ?? Math.floor(Date.now() / 1000);
  const existing = await app.key(request.keyRef).catch((e) => {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  });
  if (!request.force) {
    if (!existing) {
      throw new NoObjectError(
        `No key ${request.keyRef} on token ${app.serialNo}: GENKEY --force makes one`,
      );
    }
    return await emitPublicKey(ctx, existing.publicKey, created);
  }
  const algo = request.algo ?? existing?.algo ?? "rsa2048";
  const spec = keySpec(algo);
  if (!spec) throw new PubkeyAlgoError(`Cannot generate ${algo} keys on a PKCS#11 token`);
  const id = existing?.id ?? idOf(request.keyRef);
  const token: Token = existing?.token ?? app.tokens[0]!;
  const flags = await token.flags().catch((e) => Promise.reject(appError(e)));
  if (flags & CKF_TOKEN.CKF_WRITE_PROTECTED) {
    throw new NotSupportedError(`Cannot generate keys on write-protected token ${app.serialNo}`);
  }
  const label = utf8(existing?.label || `scd-ts ${algo}`);
  const common = [
    { type: CKA.CKA_TOKEN, value: TRUE },
    { type: CKA.CKA_ID, value: id },
    { type: CKA.CKA_LABEL, value: label },
  ];
  const pk = await app.login(token, ctx, async (session) => {
    const old = await objectsWithId(token.module, session, id);
    const made = await generateKeyPair(token.module, session, spec.mechanism, [
      ...common,
      ...spec.pub,
    ], [
      ...common,
      { type: CKA.CKA_PRIVATE, value: TRUE },
      { type: CKA.CKA_SENSITIVE, value: TRUE },
      { type: CKA.CKA_EXTRACTABLE, value: FALSE },
      ...spec.priv,
    ]);
    // the old key's objects go once the new pair exists (its certificate too: it certifies
    // the old key; stock's app-piv overwrites a slot's certificate when it generates)
    for (const handle of old) await destroyObject(token.module, session, handle);
    const key = await objectKey(token.module, session, made.publicKey);
    if (!key) throw new NotSupportedError("Cannot read the public key the token generated");
    return key;
  }, true);
  app.invalidate();
  await emitPublicKey(ctx, pk, created);
}

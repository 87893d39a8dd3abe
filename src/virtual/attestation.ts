/**
 * YubiKey OpenPGP attestation (firmware 5.2+; developers.yubico.com/PGP/Attestation.html, OIDs
 * from docs.yubico.com/hardware/oid/oid-pgp-arc.html), on profiles with the attestation key
 * slot (`extraKeySlot`, ref 81): `80 FB 0n 00` makes an X.509 attestation statement for key
 * slot n, signed by the attestation key, and stores it in that slot's cardholder certificate
 * (7F21 occurrence 2 SIG, 1 DEC, 0 AUT), overwriting what was there. Only a key generated on
 * the card can be attested. DO FC answers the attestation key's own certificate.
 *
 * Modelled (not documented by Yubico): the status words of the refusals — 6A86 for a P1 other
 * than 1–3, 6A88 for an empty slot, 6985 for an imported key — and that no PIN is required
 * beyond what the host verified (gnupg master asks for the Admin PIN first). Yubico's factory
 * attestation key and certificate are replaced by a key the card makes on first use and a
 * self-signed certificate for it.
 * @module
 */

import { createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createPrivateKey, createPublicKey } from "node:crypto";
import {
  SW_CONDITIONS_OF_USE,
  SW_INCORRECT_P1P2,
  SW_INS_NOT_SUPPORTED,
  SW_REF_NOT_FOUND,
} from "../iso7816/sw.ts";
import { concat, fromHex, toHex, utf8 } from "../util/bytes.ts";
import { type CommandApdu, StatusError } from "./command_apdu.ts";
import type { AppletContext } from "./context.ts";
import { publicKeySpki } from "./crypto.ts";

/** 7F21 occurrence of key slot 0–2 (SIG 2, DEC 1, AUT 0: SELECT DATA order). */
const OCCURRENCE = [2, 1, 0] as const;
const SLOT_NAME = ["SIG", "DEC", "AUT"] as const;
/** Yubico's OpenPGP attestation arc, 1.3.6.1.4.1.41482.5. */
const YUBICO_PGP = "1.3.6.1.4.1.41482.5";
const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";
const COMMON_NAME = "2.5.4.3";
const ISSUER = "Virtual YubiKey OPGP Attestation";

function der(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  const n = body.length;
  const len = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return concat(Uint8Array.of(tag, ...len), body);
}

const seq = (...parts: Uint8Array[]) => der(0x30, ...parts);

function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const v of rest) {
    const bytes = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) bytes.unshift((x & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return der(0x06, Uint8Array.from(out));
}

/** A DER INTEGER of the unsigned big-endian `bytes`. */
function int(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return der(0x02, v[0]! & 0x80 ? concat(Uint8Array.of(0), v) : v);
}

function uint(n: number): Uint8Array {
  return int(Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));
}

function name(cn: string): Uint8Array {
  return seq(der(0x31, seq(oid(COMMON_NAME), der(0x0c, utf8(cn)))));
}

function utcTime(d: Date): Uint8Array {
  return der(0x17, utf8(d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z"));
}

function extension(arc: number, value: Uint8Array): Uint8Array {
  return seq(oid(`${YUBICO_PGP}.${arc}`), der(0x04, value));
}

/** A certificate for `spki` named `subject`, signed by the attestation key. */
function certificate(
  key: KeyObject,
  subject: string,
  spki: Uint8Array,
  extensions: Uint8Array[],
): Uint8Array {
  const algorithm = seq(oid(SHA256_WITH_RSA), der(0x05));
  const now = new Date();
  const serial = crypto.getRandomValues(new Uint8Array(8));
  serial[0]! &= 0x7f;
  const tbs = seq(
    der(0xa0, int(Uint8Array.of(2))),
    int(serial),
    algorithm,
    name(ISSUER),
    seq(utcTime(now), utcTime(new Date(now.getTime() + 10 * 365 * 86400_000))),
    name(subject),
    spki,
    ...(extensions.length > 0 ? [der(0xa3, seq(...extensions))] : []),
  );
  const signature = createSign("sha256").update(tbs).sign(key);
  return seq(tbs, algorithm, der(0x03, Uint8Array.of(0), new Uint8Array(signature)));
}

/** The attestation key (RSA-2048, as DA says), made on first use and kept in the store. */
function attestationKey(ctx: AppletContext): KeyObject {
  const state = ctx.store.state;
  if (!state.attestationKey) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    state.attestationKey = privateKey.export({ format: "jwk" }) as Record<string, string>;
    ctx.store.save();
  }
  return createPrivateKey({ key: { ...state.attestationKey, kty: "RSA" }, format: "jwk" });
}

/** DO FC: the attestation key's certificate (self-signed here). */
export function attestationCertificate(ctx: AppletContext): Uint8Array {
  const key = attestationKey(ctx);
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  return certificate(key, ISSUER, new Uint8Array(spki), []);
}

/** `80 FB 0n 00`: attest the key in slot n and store the statement in its certificate DO. */
export function generateAttestation(cmd: CommandApdu, ctx: AppletContext): Uint8Array {
  if (ctx.profile.extraKeySlot === null || cmd.cla !== 0x80) {
    throw new StatusError(SW_INS_NOT_SUPPORTED);
  }
  const slot = cmd.p1 - 1;
  if (slot < 0 || slot > 2 || cmd.p2 !== 0) throw new StatusError(SW_INCORRECT_P1P2);
  const state = ctx.store.state;
  const k = state.keys[slot]!;
  if (!k.key) throw new StatusError(SW_REF_NOT_FOUND, `No key in slot ${slot + 1}`);
  if (k.origin !== 1) throw new StatusError(SW_CONDITIONS_OF_USE, "Cannot attest an imported key");
  const statement = certificate(
    attestationKey(ctx),
    `YubiKey OPGP Attestation ${SLOT_NAME[slot]}`,
    publicKeySpki(k.key),
    [
      extension(2, der(0x02, Uint8Array.of(1))), // generated on the card
      extension(4, fromHex(k.fingerprint)),
      extension(5, fromHex(k.time.toString(16).padStart(8, "0"))),
      extension(7, uint(state.serial)),
    ],
  );
  state.certificates[OCCURRENCE[slot]!] = toHex(statement);
  ctx.store.save();
  return new Uint8Array(0);
}

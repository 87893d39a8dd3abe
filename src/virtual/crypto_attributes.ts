/**
 * Algorithm attributes of the virtual card's key slots (C1/C2/C3 values, OpenPGP card spec
 * 3.4 §4.4.3.9) and the error type of every card-side crypto failure.
 * @module
 */

import { SW_BAD_DATA } from "../iso7816/sw.ts";

/** A crypto failure the applet turns into a status word (`sw`, e.g. 0x6A80 bad data). */
export class CardCryptoError extends Error {
  override name = "CardCryptoError";
  /** Status word the card answers with. */
  readonly sw: number;
  constructor(sw: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.sw = sw;
  }
}

/** Curves the virtual card knows. */
export type CurveName = "p256" | "p384" | "p521" | "ed25519" | "x25519";

/** ECC algorithm ids in attribute byte 0 (spec §4.4.3.9; RFC 4880 numbers). */
export const ALGO_RSA = 0x01;
export const ALGO_ECDH = 0x12;
export const ALGO_ECDSA = 0x13;
export const ALGO_EDDSA = 0x16;

/** DER contents of each curve's OID, as the attributes carry them (spec §4.4.3.9 table). */
export const CURVE_OIDS: Readonly<Record<CurveName, string>> = {
  p256: "2A8648CE3D030107",
  p384: "2B81040022",
  p521: "2B81040023",
  ed25519: "2B06010401DA470F01",
  x25519: "2B060104019755010501",
};

/** Byte size of a private scalar / field element per curve (P-521: 66 bytes). */
export const CURVE_BYTES: Readonly<Record<CurveName, number>> = {
  p256: 32,
  p384: 48,
  p521: 66,
  ed25519: 32,
  x25519: 32,
};

/** RSA slot: `01 ‖ nbits(2) ‖ ebits(2) ‖ import format(1)`. */
export interface RsaAlgorithm {
  kind: "rsa";
  nbits: number;
  ebits: number;
  /** Import format: 0 standard, 1 standard+n, 2 CRT, 3 CRT+n. */
  format: number;
}

/** ECC slot: `algo ‖ OID [‖ FF]`. */
export interface EccAlgorithm {
  kind: "ecc";
  algo: typeof ALGO_ECDH | typeof ALGO_ECDSA | typeof ALGO_EDDSA;
  curve: CurveName;
  /** Trailing FF: the import template carries the public key too. */
  withPublic: boolean;
}

/** A parsed algorithm attribute value. */
export type KeyAlgorithm = RsaAlgorithm | EccAlgorithm;

const RSA_SIZES = new Set([2048, 3072, 4096]);

/** Which (algo, curve) pairs make sense: ECDH on X25519, EdDSA only on Ed25519. */
const ECC_PAIRS: Readonly<Record<number, readonly CurveName[]>> = {
  [ALGO_ECDH]: ["p256", "p384", "p521", "x25519"],
  [ALGO_ECDSA]: ["p256", "p384", "p521"],
  [ALGO_EDDSA]: ["ed25519"],
};

/** Parse a C1/C2/C3 value; throws CardCryptoError(6A80) for anything the card can't do. */
export function parseAttributes(attr: Uint8Array): KeyAlgorithm {
  const fail = (why: string): never => {
    throw new CardCryptoError(SW_BAD_DATA, `Cannot use algorithm attributes: ${why}`);
  };
  if (attr.length === 0) return fail("empty value");
  if (attr[0] === ALGO_RSA) {
    if (attr.length !== 5 && attr.length !== 6) return fail(`RSA value has ${attr.length} bytes`);
    const nbits = (attr[1]! << 8) | attr[2]!;
    const ebits = (attr[3]! << 8) | attr[4]!;
    const format = attr[5] ?? 0;
    if (!RSA_SIZES.has(nbits)) return fail(`RSA ${nbits} bits is not supported`);
    if (ebits < 17 || ebits > 32) return fail(`RSA exponent of ${ebits} bits is not supported`);
    if (format > 3) return fail(`RSA import format ${format} is unknown`);
    return { kind: "rsa", nbits, ebits, format };
  }
  const algo = attr[0]!;
  const pairs = ECC_PAIRS[algo];
  if (!pairs) return fail(`algorithm id ${algo.toString(16)} is unknown`);
  // An OID's last byte never has bit 8 set, so a trailing FF is always the import flag.
  const withPublic = attr.length > 1 && attr[attr.length - 1] === 0xff;
  const oid = attr.subarray(1, withPublic ? attr.length - 1 : attr.length);
  const hex = Array.from(oid, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
  const curve = pairs.find((c) => CURVE_OIDS[c] === hex);
  if (!curve) return fail(`curve OID ${hex} is not supported for algorithm ${algo.toString(16)}`);
  return { kind: "ecc", algo: algo as EccAlgorithm["algo"], curve, withPublic };
}

/** True when the virtual card can generate and use keys with these attributes. */
export function supportsAttributes(attr: Uint8Array): boolean {
  try {
    parseAttributes(attr);
    return true;
  } catch (e) {
    if (e instanceof CardCryptoError) return false;
    throw e;
  }
}

/**
 * Public keys of PKCS#11 objects in gpg's form: from CKA_MODULUS/CKA_PUBLIC_EXPONENT, from
 * CKA_EC_PARAMS/CKA_EC_POINT (of a public or a private key object), or from an X.509
 * certificate's SubjectPublicKeyInfo. Pure functions.
 *
 * CKA_EC_PARAMS is the DER of the curve's OID (PKCS#11 v2.40 §2.3.3), or for Edwards curves a
 * PrintableString with the curve name, which SoftHSM 2.6 writes ("edwards25519", "curve25519";
 * v3.0 §2.3.6 allows both). X25519 keys are CKK_EC_MONTGOMERY (v3.0; OpenSC) or, in SoftHSM
 * 2.6, CKK_EC_EDWARDS with the curve25519 parameters (SoftHSM.cpp `deriveEDDSA` does X25519). CKA_EC_POINT is a DER OCTET STRING around the point (v2.40 §2.3.3); some
 * modules give the bare point, which is accepted too.
 * @module
 */

import { X509Certificate } from "node:crypto";
import { Buffer } from "node:buffer";
import { type Curve, curveFromOid, findCurve, type PublicKey } from "../formats/mod.ts";
import { concat, stripLeadingZeros, toHex } from "../util/bytes.ts";

/** The object's attributes cannot be read as a public key. */
export class PublicKeyFormatError extends SyntaxError {
  override name = "PublicKeyFormatError";
}

/** DER TLV at the start of `der`: tag, value, and where it ends. */
function derTlv(der: Uint8Array): { tag: number; value: Uint8Array; end: number } | undefined {
  if (der.length < 2) return undefined;
  let len = der[1]!;
  let at = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3 || der.length < 2 + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[2 + i]!;
    at = 2 + n;
  }
  if (at + len > der.length) return undefined;
  return { tag: der[0]!, value: der.subarray(at, at + len), end: at + len };
}

/** The curve named by CKA_EC_PARAMS (an OID, or an Edwards curve's printable name). */
export function curveFromEcParams(params: Uint8Array): Curve {
  const tlv = derTlv(params);
  let curve: Curve | undefined;
  if (tlv?.tag === 0x06) curve = curveFromOid(tlv.value);
  if (tlv?.tag === 0x13) {
    const name = new TextDecoder().decode(tlv.value);
    curve = name === "edwards25519"
      ? findCurve("Ed25519")
      : name === "curve25519"
      ? findCurve("Curve25519")
      : undefined;
  }
  // 1.3.101.112 is Ed25519 in X.509 (RFC 8410); gnupg's table uses its own OpenPGP OID
  if (!curve && tlv?.tag === 0x06 && toHex(tlv.value) === "2B6570") {
    curve = findCurve("Ed25519");
  }
  if (!curve && tlv?.tag === 0x06 && toHex(tlv.value) === "2B656E") {
    curve = findCurve("Curve25519"); // 1.3.101.110, X25519 in RFC 8410
  }
  if (!curve) throw new PublicKeyFormatError("Cannot read CKA_EC_PARAMS: unknown curve");
  return curve;
}

/** The point inside CKA_EC_POINT (OCTET STRING unwrapped when it is one). */
export function ecPoint(value: Uint8Array): Uint8Array {
  const tlv = derTlv(value);
  if (tlv && tlv.tag === 0x04 && tlv.end === value.length) return tlv.value;
  return value;
}

/** gpg's ECC public key for `curve` and a point as the module gives it. */
export function eccPublicKey(curve: Curve, point: Uint8Array): PublicKey {
  if (curve.name === "Ed25519") {
    if (point.length !== 32) {
      throw new PublicKeyFormatError(`Cannot read Ed25519 point of ${point.length} bytes`);
    }
    return { type: "ecc", curve, q: concat(Uint8Array.of(0x40), point), flags: "eddsa" };
  }
  if (curve.name === "Curve25519") {
    // the native (little-endian) u-coordinate, as gpg keeps it after 0x40 (djb-tweak)
    if (point.length !== 32) {
      throw new PublicKeyFormatError(`Cannot read Curve25519 point of ${point.length} bytes`);
    }
    return { type: "ecc", curve, q: concat(Uint8Array.of(0x40), point), flags: "djb-tweak" };
  }
  if (point[0] !== 0x04) {
    throw new PublicKeyFormatError("Cannot read EC point: not an uncompressed point");
  }
  return { type: "ecc", curve, q: point.slice() };
}

/** gpg's RSA public key from modulus and exponent. */
export function rsaPublicKey(n: Uint8Array, e: Uint8Array): PublicKey {
  return { type: "rsa", n: stripLeadingZeros(n).slice(), e: stripLeadingZeros(e).slice() };
}

function b64url(text: unknown): Uint8Array {
  if (typeof text !== "string") throw new PublicKeyFormatError("Cannot read certificate key");
  return new Uint8Array(Buffer.from(text, "base64url"));
}

const JWK_CURVES: Record<string, string> = {
  "P-256": "NIST P-256",
  "P-384": "NIST P-384",
  "P-521": "NIST P-521",
  "Ed25519": "Ed25519",
};

/** The public key of a DER X.509 certificate (CKA_VALUE of a CKO_CERTIFICATE). */
export function certificatePublicKey(der: Uint8Array): PublicKey {
  let jwk: Record<string, unknown>;
  try {
    jwk = new X509Certificate(der).publicKey.export({ format: "jwk" }) as Record<string, unknown>;
  } catch (e) {
    throw new PublicKeyFormatError(`Cannot read certificate: ${(e as Error).message}`);
  }
  if (jwk.kty === "RSA") return rsaPublicKey(b64url(jwk.n), b64url(jwk.e));
  const curve = findCurve(JWK_CURVES[String(jwk.crv)] ?? "");
  if (!curve) throw new PublicKeyFormatError(`Cannot use certificate key on curve ${jwk.crv}`);
  if (jwk.kty === "OKP") return eccPublicKey(curve, b64url(jwk.x));
  return eccPublicKey(curve, concat(Uint8Array.of(0x04), b64url(jwk.x), b64url(jwk.y)));
}

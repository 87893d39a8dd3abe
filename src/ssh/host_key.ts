/**
 * Verifying a signature made by an SSH host key, as the agent must for
 * `session-bind@openssh.com` (OpenSSH PROTOCOL.agent §1: the host key's signature over the
 * session identifier; OpenSSH's ssh-agent.c checks it with `sshkey_verify`). Key blobs:
 * RFC 4253 §6.6 (`ssh-rsa`), RFC 5656 §3.1 (`ecdsa-sha2-nistp*`), RFC 8709 (`ssh-ed25519`).
 * Signatures: RFC 8332 (`rsa-sha2-256/512`; `ssh-rsa` SHA-1 is accepted as sshkey_verify does
 * when no algorithm is required), RFC 5656 §3.1.2 (mpint r ‖ mpint s), RFC 8709 §6.
 * Host certificates (`*-cert-v01@openssh.com`) are not read: a bind with one fails.
 * @module
 */

import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { SshReader, SshWireError } from "../formats/mod.ts";

/** OpenSSH's SSH_RSA_MINIMUM_MODULUS_SIZE (sshkey.h): smaller RSA keys are refused. */
const RSA_MIN_BITS = 1024;

const ECDSA: Record<string, { crv: string; id: string; hash: string; bytes: number }> = {
  "ecdsa-sha2-nistp256": { crv: "P-256", id: "nistp256", hash: "sha256", bytes: 32 },
  "ecdsa-sha2-nistp384": { crv: "P-384", id: "nistp384", hash: "sha384", bytes: 48 },
  // RFC 5656 §6.2.1: SHA-512 for curves over 384 bits
  "ecdsa-sha2-nistp521": { crv: "P-521", id: "nistp521", hash: "sha512", bytes: 66 },
};

/** RSA signature names and their hashes (RFC 8332 §3; RFC 4253 §6.6 for ssh-rsa). */
const RSA_HASH: Record<string, string> = {
  "ssh-rsa": "sha1",
  "rsa-sha2-256": "sha256",
  "rsa-sha2-512": "sha512",
};

/** A host key ready to verify with. */
interface HostKey {
  type: string;
  key: KeyObject;
  /** ECDSA only: the curve's hash and coordinate width. */
  ecdsa?: { hash: string; bytes: number };
  /** RSA only: the modulus length in bytes (a shorter signature is left-padded). */
  rsaBytes?: number;
}

function b64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** An mpint that must be positive (sshbuf_get_bignum2 refuses negatives), without zeros. */
function positive(bytes: Uint8Array, what: string): Uint8Array {
  if (bytes.length > 0 && bytes[0]! & 0x80) throw new SshWireError(`Cannot use negative ${what}`);
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) throw new SshWireError(`Cannot use zero ${what}`);
  return bytes.subarray(i);
}

/** Parse an SSH public-key blob into a key to verify with; throws on anything else. */
export function parseHostKey(blob: Uint8Array): HostKey {
  const r = new SshReader(blob);
  const type = r.text();
  if (type === "ssh-rsa") {
    const e = positive(r.string(), "RSA exponent");
    const n = positive(r.string(), "RSA modulus");
    r.end();
    const bits = (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
    if (bits < RSA_MIN_BITS) throw new RangeError(`Cannot use a ${bits}-bit RSA host key`);
    const key = createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" });
    return { type, key, rsaBytes: n.length };
  }
  if (type === "ssh-ed25519") {
    const x = r.string();
    r.end();
    if (x.length !== 32) throw new SshWireError(`Cannot use a ${x.length}-byte Ed25519 key`);
    const key = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: b64url(x) },
      format: "jwk",
    });
    return { type, key };
  }
  const curve = ECDSA[type];
  if (!curve) throw new TypeError(`Cannot verify with host key type ${type}`);
  if (r.text() !== curve.id) throw new SshWireError(`Cannot use ${type}: curve name differs`);
  const q = r.string();
  r.end();
  // uncompressed point only, as OpenSSH writes it (sshbuf_get_ec → EC_POINT_oct2point)
  if (q.length !== 1 + 2 * curve.bytes || q[0] !== 4) {
    throw new SshWireError(`Cannot use ${type}: not an uncompressed point`);
  }
  const x = b64url(q.subarray(1, 1 + curve.bytes));
  const y = b64url(q.subarray(1 + curve.bytes));
  // createPublicKey checks that the point is on the curve
  const key = createPublicKey({ key: { kty: "EC", crv: curve.crv, x, y }, format: "jwk" });
  return { type, key, ecdsa: { hash: curve.hash, bytes: curve.bytes } };
}

/** A positive mpint as a fixed-width big-endian coordinate (IEEE P1363 half). */
function fixed(mpint: Uint8Array, bytes: number): Uint8Array {
  const v = positive(mpint, "ECDSA signature value");
  if (v.length > bytes) throw new SshWireError("Cannot use ECDSA signature: value too long");
  const out = new Uint8Array(bytes);
  out.set(v, bytes - v.length);
  return out;
}

/**
 * Whether `signature` (the SSH signature blob: string algorithm ‖ string data) is the host
 * key `hostKeyBlob`'s signature over `data`. A malformed key or signature, or an algorithm
 * that does not belong to the key, is false, not an exception.
 */
export function verifyHostSignature(
  hostKeyBlob: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const host = parseHostKey(hostKeyBlob);
    const r = new SshReader(signature);
    const algorithm = r.text();
    const sig = r.string();
    r.end();
    if (host.rsaBytes !== undefined) {
      const hash = RSA_HASH[algorithm];
      if (!hash || sig.length > host.rsaBytes) return false;
      // OpenSSH's ssh_rsa_verify pads a short signature with leading zeros
      const padded = new Uint8Array(host.rsaBytes);
      padded.set(sig, host.rsaBytes - sig.length);
      return verify(hash, data, host.key, padded);
    }
    if (algorithm !== host.type) return false;
    if (host.ecdsa) {
      const rs = new SshReader(sig);
      const rr = fixed(rs.string(), host.ecdsa.bytes);
      const ss = fixed(rs.string(), host.ecdsa.bytes);
      rs.end();
      const p1363 = new Uint8Array(2 * host.ecdsa.bytes);
      p1363.set(rr);
      p1363.set(ss, host.ecdsa.bytes);
      return verify(host.ecdsa.hash, data, { key: host.key, dsaEncoding: "ieee-p1363" }, p1363);
    }
    if (sig.length !== 64) return false;
    return verify(null, data, host.key, sig);
  } catch {
    return false;
  }
}

/**
 * SSH host keys made with node:crypto, in OpenSSH's wire forms, and session-bind requests
 * they sign (OpenSSH PROTOCOL.agent §1), for the agent's unit, integration and fuzz tests.
 * @module
 */

import { Buffer } from "node:buffer";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sshMpint, sshString } from "../../src/formats/mod.ts";
import { concat } from "../../src/util/bytes.ts";

/** Host key types the tests make. */
export type HostKeyType =
  | "ssh-rsa"
  | "ecdsa-sha2-nistp256"
  | "ecdsa-sha2-nistp384"
  | "ecdsa-sha2-nistp521"
  | "ssh-ed25519";

const EC: Record<string, { curve: string; id: string; hash: string; bytes: number }> = {
  "ecdsa-sha2-nistp256": { curve: "prime256v1", id: "nistp256", hash: "sha256", bytes: 32 },
  "ecdsa-sha2-nistp384": { curve: "secp384r1", id: "nistp384", hash: "sha384", bytes: 48 },
  "ecdsa-sha2-nistp521": { curve: "secp521r1", id: "nistp521", hash: "sha512", bytes: 66 },
};

/** A host key: its SSH blob and a signer producing SSH signature blobs. */
export interface TestHostKey {
  type: HostKeyType;
  blob: Uint8Array;
  /** The SSH signature blob over `data` (`algorithm` for RSA: rsa-sha2-256 by default). */
  sign(data: Uint8Array, algorithm?: string): Uint8Array;
}

const b = (s: string | undefined) => new Uint8Array(Buffer.from(s ?? "", "base64url"));

/** A fresh host key of `type` (RSA: `bits`, default 2048). */
export function hostKey(type: HostKeyType, bits = 2048): TestHostKey {
  if (type === "ssh-rsa") {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: bits });
    const jwk = publicKey.export({ format: "jwk" });
    const blob = concat(sshString(type), sshMpint(b(jwk.e)), sshMpint(b(jwk.n)));
    const hash: Record<string, string> = {
      "ssh-rsa": "sha1",
      "rsa-sha2-256": "sha256",
      "rsa-sha2-512": "sha512",
    };
    return {
      type,
      blob,
      sign: (data, algorithm = "rsa-sha2-256") =>
        sigBlob(algorithm, sign(hash[algorithm] ?? "sha256", data, privateKey)),
    };
  }
  if (type === "ssh-ed25519") {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const blob = concat(sshString(type), sshString(b(publicKey.export({ format: "jwk" }).x)));
    return { type, blob, sign: (data) => sigBlob(type, sign(null, data, privateKey)) };
  }
  const ec = EC[type]!;
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: ec.curve });
  const jwk = publicKey.export({ format: "jwk" });
  const q = concat(Uint8Array.of(4), b(jwk.x), b(jwk.y));
  const blob = concat(sshString(type), sshString(ec.id), sshString(q));
  return { type, blob, sign: (data) => ecdsaSig(type, ec, privateKey, data) };
}

/**
 * An Ed25519 host key from a fixed 32-byte seed: the same key and signatures on every run
 * (RFC 8032 signatures are deterministic), for fuzz seeds a case number must reproduce.
 */
export function fixedEd25519HostKey(seed: Uint8Array): TestHostKey {
  const type = "ssh-ed25519";
  const blob = concat(sshString(type), sshString(ed25519.getPublicKey(seed)));
  return { type, blob, sign: (data) => sigBlob(type, ed25519.sign(data, seed)) };
}

function ecdsaSig(
  type: string,
  ec: { hash: string; bytes: number },
  key: KeyObject,
  data: Uint8Array,
): Uint8Array {
  const rs = new Uint8Array(sign(ec.hash, data, { key, dsaEncoding: "ieee-p1363" }));
  const body = concat(sshMpint(rs.subarray(0, ec.bytes)), sshMpint(rs.subarray(ec.bytes)));
  return sigBlob(type, body);
}

function sigBlob(algorithm: string, sig: Uint8Array): Uint8Array {
  return concat(sshString(algorithm), sshString(new Uint8Array(sig)));
}

/** The SSH_AGENTC_EXTENSION body of a session-bind, signed by `key` unless `signature`. */
export function sessionBindBody(
  key: TestHostKey,
  sessionId: Uint8Array,
  forwarding: boolean,
  signature = key.sign(sessionId),
): Uint8Array {
  return concat(
    Uint8Array.of(27),
    sshString("session-bind@openssh.com"),
    sshString(key.blob),
    sshString(sessionId),
    sshString(signature),
    Uint8Array.of(forwarding ? 1 : 0),
  );
}

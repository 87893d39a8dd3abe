/**
 * What the card gets for one SSH signature request, per key type.
 * @module
 */

import { createHash } from "node:crypto";
import { encodeDigestInfo, type SshKeyKind } from "../formats/mod.ts";
import { SSH_AGENT_RSA_SHA2_256, SSH_AGENT_RSA_SHA2_512 } from "./protocol.ts";

/**
 * What the card gets for one SSH signature, and the algorithm name of the answer:
 * RSA a DigestInfo of the hash the flags ask for (RFC 8332; SHA-1 only when none is asked),
 * the card applies PKCS#1; ECDSA the bare digest of the curve's hash (RFC 5656 §6.2.1);
 * Ed25519 the message itself (RFC 8709), both passed to the card as is (`raw`).
 */
export function signInput(
  key: SshKeyKind,
  message: Uint8Array,
  flags: number,
): { algorithm: string; data: Uint8Array; raw: boolean } {
  const digest = (hash: string) => new Uint8Array(createHash(hash).update(message).digest());
  switch (key.kind) {
    case "rsa": {
      const [algorithm, hash] = flags & SSH_AGENT_RSA_SHA2_512
        ? ["rsa-sha2-512", "sha512"] as const
        : flags & SSH_AGENT_RSA_SHA2_256
        ? ["rsa-sha2-256", "sha256"] as const
        : ["ssh-rsa", "sha1"] as const;
      return { algorithm, data: encodeDigestInfo(hash, digest(hash)), raw: false };
    }
    case "ecdsa":
      return {
        algorithm: `ecdsa-sha2-nistp${
          { 32: "256", 48: "384", 66: "521" }[key.fieldBytes] ?? key.fieldBytes
        }`,
        data: digest(key.hash),
        raw: true,
      };
    case "ed25519":
      return { algorithm: "ssh-ed25519", data: message, raw: true };
  }
}

/**
 * READKEY --format=ssh (gnupg 2.4): a public key as one OpenSSH public-key line,
 * `<type> <base64 blob> (none)`, exactly as stock builds it (gpg/gnupg:common/ssh-utils.c
 * `ssh_public_key_in_base64`, `sexp_to_sshblob`, gnupg 2.4.7). Note stock's ECDSA blob: its
 * second string is libgcrypt's curve name ("NIST P-384"), not the OpenSSH one ("nistp384");
 * we reproduce that. Curve25519 (an encryption key) has no ssh form: UNKNOWN_CURVE.
 * @module
 */

import type { PublicKey } from "../formats/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";
import { concat, uintBE, utf8 } from "../util/bytes.ts";

/** The ssh key type stock names for each libgcrypt curve. */
const ECDSA_TYPES: Record<string, string> = {
  "NIST P-256": "ecdsa-sha2-nistp256",
  "NIST P-384": "ecdsa-sha2-nistp384",
  "NIST P-521": "ecdsa-sha2-nistp521",
};

const EDDSA_TYPES: Record<string, string> = { Ed25519: "ssh-ed25519", Ed448: "ssh-ed448" };

/** ssh wire string: uint32 length ‖ bytes. */
function sshString(bytes: Uint8Array): Uint8Array {
  return concat(uintBE(bytes.length, 4), bytes);
}

/** ssh mpint from unsigned big-endian bytes (STD format: 00 added when the top bit is set). */
function sshMpint(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  const v = value.subarray(i);
  return sshString(v.length > 0 && v[0]! & 0x80 ? concat(Uint8Array.of(0), v) : v);
}

/** The blob and key type of `pk` as stock encodes them. */
export function sshPublicKeyBlob(pk: PublicKey): { type: string; blob: Uint8Array } {
  if (pk.type === "rsa") {
    const type = "ssh-rsa";
    return { type, blob: concat(sshString(utf8(type)), sshMpint(pk.e), sshMpint(pk.n)) };
  }
  const curve = pk.curve.name;
  if (pk.flags === "eddsa") {
    const type = EDDSA_TYPES[curve];
    if (!type) throw new GpgError("UNKNOWN_CURVE");
    const q = pk.q.length % 2 === 1 && pk.q[0] === 0x40 ? pk.q.subarray(1) : pk.q;
    return { type, blob: concat(sshString(utf8(type)), sshString(q)) };
  }
  const type = ECDSA_TYPES[curve];
  if (!type) throw new GpgError("UNKNOWN_CURVE");
  return { type, blob: concat(sshString(utf8(type)), sshString(utf8(curve)), sshMpint(pk.q)) };
}

/** `<type> <base64> <comment>` (stock passes the comment "(none)"). */
export function sshPublicKeyLine(pk: PublicKey, comment = "(none)"): string {
  const { type, blob } = sshPublicKeyBlob(pk);
  let bin = "";
  for (const b of blob) bin += String.fromCharCode(b);
  return `${type} ${btoa(bin)} ${comment}`;
}

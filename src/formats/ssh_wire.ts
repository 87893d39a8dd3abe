/**
 * SSH wire encodings (RFC 4251 §5: uint32, string, mpint, boolean) and the public-key and
 * signature blobs OpenSSH expects from an agent: RFC 4253 §6.6 (`ssh-rsa`), RFC 8332
 * (`rsa-sha2-256/512` signatures), RFC 5656 §3.1 (`ecdsa-sha2-nistp*`, curve identifier
 * `nistp256` etc., signature `mpint r ‖ mpint s`) and RFC 8709 (`ssh-ed25519`). Unlike
 * READKEY --format=ssh (src/scd/ssh_key.ts, which reproduces stock's libgcrypt curve name),
 * these blobs are what OpenSSH itself writes. Pure functions; no I/O.
 * @module
 */

import { concat, uintBE, utf8 } from "../util/bytes.ts";
import type { PublicKey } from "./public_key.ts";

/** Malformed SSH wire data (truncated, a length past the end, trailing bytes). */
export class SshWireError extends SyntaxError {
  override name = "SshWireError";
}

/** Reads RFC 4251 types from a byte buffer; every read checks the bounds. */
export class SshReader {
  #bytes: Uint8Array;
  #pos = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.#bytes.length - this.#pos;
  }

  byte(): number {
    if (this.remaining < 1) throw new SshWireError("Cannot read byte: data ends");
    return this.#bytes[this.#pos++]!;
  }

  uint32(): number {
    if (this.remaining < 4) throw new SshWireError("Cannot read uint32: data ends");
    const b = this.#bytes;
    const p = this.#pos;
    this.#pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** A `string`: uint32 length ‖ bytes (a view into the buffer). */
  string(): Uint8Array {
    const n = this.uint32();
    if (n > this.remaining) {
      throw new SshWireError(`Cannot read string: length ${n} exceeds ${this.remaining} bytes`);
    }
    const s = this.#bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return s;
  }

  /** A `string` that must be UTF-8 text. */
  text(): string {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.string());
    } catch (e) {
      if (e instanceof SshWireError) throw e;
      throw new SshWireError("Cannot read text: not UTF-8");
    }
  }

  boolean(): boolean {
    return this.byte() !== 0;
  }

  /** The unread rest. */
  rest(): Uint8Array {
    const r = this.#bytes.subarray(this.#pos);
    this.#pos = this.#bytes.length;
    return r;
  }

  /** Throws when bytes are left (a message must be read whole). */
  end(): void {
    if (this.remaining !== 0) throw new SshWireError(`Cannot parse: ${this.remaining} extra bytes`);
  }
}

/** `string`: uint32 length ‖ bytes. */
export function sshString(bytes: Uint8Array | string): Uint8Array {
  const b = typeof bytes === "string" ? utf8(bytes) : bytes;
  return concat(uintBE(b.length, 4), b);
}

/** `mpint` from unsigned big-endian bytes: leading zeros dropped, 00 added for a set top bit. */
export function sshMpint(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  const v = value.subarray(i);
  return sshString(v.length > 0 && v[0]! & 0x80 ? concat(Uint8Array.of(0), v) : v);
}

/** OpenSSH's key type and curve identifier per libgcrypt curve (RFC 5656 §10.1). */
const ECDSA: Record<string, { type: string; id: string; hash: "sha256" | "sha384" | "sha512" }> = {
  "NIST P-256": { type: "ecdsa-sha2-nistp256", id: "nistp256", hash: "sha256" },
  "NIST P-384": { type: "ecdsa-sha2-nistp384", id: "nistp384", hash: "sha384" },
  // RFC 5656 §6.2.1: a curve over 384 bits uses SHA-512
  "NIST P-521": { type: "ecdsa-sha2-nistp521", id: "nistp521", hash: "sha512" },
};

/** What an SSH key is, as an agent must know it to sign. */
export type SshKeyKind =
  | { kind: "rsa" }
  | { kind: "ecdsa"; hash: "sha256" | "sha384" | "sha512"; fieldBytes: number }
  | { kind: "ed25519" };

/** An SSH public key: its type name, wire blob and signing kind. */
export interface SshPublicKey {
  type: string;
  blob: Uint8Array;
  key: SshKeyKind;
}

/** Cannot express a key in SSH form (a curve SSH has no name for, an encryption-only key). */
export class SshKeyTypeError extends TypeError {
  override name = "SshKeyTypeError";
}

/** The OpenSSH public-key blob of `pk`. */
export function sshPublicKey(pk: PublicKey): SshPublicKey {
  if (pk.type === "rsa") {
    const type = "ssh-rsa";
    return {
      type,
      blob: concat(sshString(type), sshMpint(pk.e), sshMpint(pk.n)),
      key: { kind: "rsa" },
    };
  }
  if (pk.flags === "eddsa" && pk.curve.name === "Ed25519") {
    const type = "ssh-ed25519";
    // gpg's S-expression carries the point with a 0x40 prefix
    const q = pk.q.length === 33 && pk.q[0] === 0x40 ? pk.q.subarray(1) : pk.q;
    return { type, blob: concat(sshString(type), sshString(q)), key: { kind: "ed25519" } };
  }
  const ecdsa = ECDSA[pk.curve.name];
  if (!ecdsa || pk.flags !== undefined) {
    throw new SshKeyTypeError(`Cannot use curve ${pk.curve.name} for SSH`);
  }
  return {
    type: ecdsa.type,
    blob: concat(sshString(ecdsa.type), sshString(ecdsa.id), sshString(pk.q)),
    key: { kind: "ecdsa", hash: ecdsa.hash, fieldBytes: pk.curve.fieldBytes },
  };
}

/** One OpenSSH `authorized_keys` line: `<type> <base64 blob> <comment>`. */
export function sshPublicKeyLine(key: SshPublicKey, comment: string): string {
  let bin = "";
  for (const b of key.blob) bin += String.fromCharCode(b);
  return `${key.type} ${btoa(bin)} ${comment}`;
}

/**
 * The signature blob for `raw`, the card's answer: RSA as is under the algorithm name,
 * ECDSA's fixed-width r ‖ s as two mpints (RFC 5656 §3.1.2), Ed25519's 64 bytes as is.
 */
export function sshSignature(key: SshKeyKind, algorithm: string, raw: Uint8Array): Uint8Array {
  if (key.kind !== "ecdsa") return concat(sshString(algorithm), sshString(raw));
  if (raw.length % 2 !== 0) {
    throw new SshWireError(`Cannot split ECDSA signature of ${raw.length} bytes`);
  }
  const half = raw.length / 2;
  const rs = concat(sshMpint(raw.subarray(0, half)), sshMpint(raw.subarray(half)));
  return concat(sshString(algorithm), sshString(rs));
}

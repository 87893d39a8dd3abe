/**
 * Keys as the command layer sees them: references, usages, and what KEYINFO/KEYPAIRINFO
 * report. The public-key forms themselves live in src/formats.
 * @module
 */

export type { EccPublicKey, PublicKey, RsaPublicKey } from "../formats/mod.ts";

/**
 * A key reference as gpg sends it: `OPENPGP.1`…`OPENPGP.3`, a 40-hex keygrip, or
 * `<32-hex serial>[/<40-hex fingerprint>]` (scd/app-openpgp.c `check_keyidstr`).
 */
export type KeyRef = string;

/** Usage letters as stock prints them: `sc` sign+certify, `e` encrypt, `sa` sign+auth, `sae` all three (a PKCS#11 RSA key). */
export type KeyUsage = "sc" | "e" | "sa" | "sae";

/** One key present on the card. */
export interface KeyInfo {
  /** 40 uppercase hex digits. */
  keygrip: string;
  /** e.g. "OPENPGP.1". */
  keyRef: string;
  usage: KeyUsage;
  /** Creation time (seconds since epoch) from the card, 0 if unset. */
  created: number;
  /** gpg algorithm string, e.g. "rsa2048", "ed25519", "cv25519", "nistp256". */
  algo: string;
}

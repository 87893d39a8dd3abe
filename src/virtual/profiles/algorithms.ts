/**
 * Algorithm names of the profiles (the virtual card's curve names plus `rsaNNNN`) and their
 * attribute values (C1–C3, spec 3.4 §4.4.3.10), per key slot.
 * @module
 */

import type { SlotAlgorithms } from "./profile.ts";

/** An algorithm the virtual card can model. */
export type AlgorithmName =
  | "rsa2048"
  | "rsa3072"
  | "rsa4096"
  | "p256"
  | "p384"
  | "p521"
  | "ed25519"
  | "x25519";

const CURVE_OIDS: Readonly<Record<string, string>> = {
  p256: "2A8648CE3D030107",
  p384: "2B81040022",
  p521: "2B81040023",
  ed25519: "2B06010401DA470F01",
  x25519: "2B060104019755010501",
};

/** Every algorithm the virtual card can do, per slot (today's openpgp34 card offers all). */
export const ALL_ALGORITHMS: SlotAlgorithms = {
  sig: ["rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "ed25519"],
  dec: ["rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "x25519"],
  aut: ["rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "ed25519"],
};

/** The key slots in card order (C1, C2, C3). */
export const SLOT_NAMES = ["sig", "dec", "aut"] as const;

/**
 * The attribute value for `name` in `slot` (0 sig, 1 dec, 2 aut). RSA uses `rsaTail`
 * (exponent bits ‖ import format, hex; default 32-bit exponent, standard format).
 */
export function attributesOf(name: string, slot: number, rsaTail = "002000"): string {
  const rsa = /^rsa(\d+)$/.exec(name);
  if (rsa) return "01" + Number(rsa[1]).toString(16).toUpperCase().padStart(4, "0") + rsaTail;
  const oid = CURVE_OIDS[name];
  if (oid === undefined) throw new Error(`Unknown algorithm name ${name}`);
  const algo = name === "ed25519" ? "16" : slot === 1 ? "12" : "13";
  return algo + oid;
}

/** The algorithm name of an attribute value (hex), or undefined when it is none of ours. */
export function algorithmNameOf(attributesHex: string): string | undefined {
  const hex = attributesHex.toUpperCase();
  if (hex.startsWith("01") && hex.length >= 10) return `rsa${parseInt(hex.slice(2, 6), 16)}`;
  const oid = hex.slice(2).replace(/FF$/, "");
  return Object.keys(CURVE_OIDS).find((name) => CURVE_OIDS[name] === oid);
}

/**
 * Private-key S-expressions as gpg-agent sends them for WRITEKEY (`INQUIRE KEYDATA`):
 *
 * `(private-key (rsa (n …)(e …)(d …)(p …)(q …)(u …)) (created-at "1700000000"))`
 * `(private-key (ecc (curve Ed25519)(flags eddsa)(q …)(d …)) (created-at …) [(ecdh-params …)])`
 *
 * Read the way scdaemon reads them (scd/app-openpgp.c `rsa_writekey`, `ecc_writekey`):
 * parameters from the algorithm list, `created-at` (decimal digits) and `ecdh-params`
 * from the lists after it, unknown lists ignored, a repeated parameter refused.
 * @module
 */

import { stripLeadingZeros } from "../util/bytes.ts";
import { type Curve, findCurve } from "./curves.ts";
import { atomText, listToken, parseSexp, type Sexp, SexpSyntaxError } from "./sexp.ts";

/** RSA private key parts (unsigned big-endian, leading zeros stripped). */
export interface RsaPrivateKey {
  type: "rsa";
  n: Uint8Array;
  e: Uint8Array;
  p: Uint8Array;
  q: Uint8Array;
  d?: Uint8Array;
  u?: Uint8Array;
}

/** ECC private key; q and d exactly as sent. */
export interface EccPrivateKey {
  type: "ecc";
  curve: Curve;
  /** true when `(flags eddsa)` or `(flags djb-tweak)` was given. */
  djbTweak: boolean;
  q?: Uint8Array;
  d: Uint8Array;
}

/** A parsed KEYDATA S-expression. */
export interface KeyData {
  key: RsaPrivateKey | EccPrivateKey;
  /** Seconds since the epoch from `created-at`, 0 if absent. */
  created: number;
  /** ECDH KDF parameters from `ecdh-params`, if given. */
  ecdhParams?: Uint8Array;
}

/** Parse a canonical `private-key` S-expression; throws {@link SexpSyntaxError}. */
export function parsePrivateKey(bytes: Uint8Array): KeyData {
  const root = parseSexp(bytes);
  if (!Array.isArray(root) || listToken(root) !== "private-key") {
    throw new SexpSyntaxError("Cannot read private key: not a private-key S-expression");
  }
  const algoList = root[1];
  const algo = listToken(algoList);
  if (!Array.isArray(algoList) || (algo !== "rsa" && algo !== "ecc")) {
    throw new SexpSyntaxError(`Cannot read private key: unsupported algorithm "${algo ?? ""}"`);
  }
  const params = collectParams(algoList.slice(1));
  let created = 0;
  let ecdhParams: Uint8Array | undefined;
  for (const item of root.slice(2)) {
    if (!Array.isArray(item)) throw new SexpSyntaxError("Cannot read private key: stray atom");
    const name = listToken(item);
    const value = item[1];
    if (name === "created-at" && value instanceof Uint8Array) created = leadingDecimal(value);
    if (name === "ecdh-params" && value instanceof Uint8Array) ecdhParams = value;
  }
  const key = algo === "rsa" ? rsaKey(params) : eccKey(params);
  const out: KeyData = { key, created };
  if (ecdhParams) out.ecdhParams = ecdhParams;
  return out;
}

function collectParams(items: Sexp[]): Map<string, Uint8Array | Sexp[]> {
  const params = new Map<string, Uint8Array | Sexp[]>();
  for (const item of items) {
    if (!Array.isArray(item)) throw new SexpSyntaxError("Cannot read private key: stray atom");
    const name = listToken(item);
    if (name === undefined) continue;
    if (params.has(name) && name !== "flags") {
      throw new SexpSyntaxError(`Cannot read private key: duplicate parameter "${name}"`);
    }
    params.set(
      name,
      name === "flags" ? item.slice(1) : item[1] instanceof Uint8Array ? item[1] : [],
    );
  }
  return params;
}

function atomParam(params: Map<string, Uint8Array | Sexp[]>, name: string): Uint8Array | undefined {
  const v = params.get(name);
  return v instanceof Uint8Array ? v : undefined;
}

function rsaKey(params: Map<string, Uint8Array | Sexp[]>): RsaPrivateKey {
  const get = (name: string) => {
    const v = atomParam(params, name);
    return v === undefined ? undefined : stripLeadingZeros(v).slice();
  };
  const [n, e, p, q] = [get("n"), get("e"), get("p"), get("q")];
  if (!n || !e || !p || !q) {
    throw new SexpSyntaxError("Cannot read RSA private key: n, e, p or q missing");
  }
  const key: RsaPrivateKey = { type: "rsa", n, e, p, q };
  const d = get("d");
  const u = get("u");
  if (d) key.d = d;
  if (u) key.u = u;
  return key;
}

function eccKey(params: Map<string, Uint8Array | Sexp[]>): EccPrivateKey {
  const name = atomText(atomParam(params, "curve"));
  const curve = name === undefined ? undefined : findCurve(name);
  if (!curve) {
    throw new SexpSyntaxError(`Cannot read ECC private key: unsupported curve "${name ?? ""}"`);
  }
  const d = atomParam(params, "d");
  if (!d) throw new SexpSyntaxError("Cannot read ECC private key: d missing");
  const flags = params.get("flags");
  const djbTweak = Array.isArray(flags) &&
    flags.some((f) => atomText(f) === "eddsa" || atomText(f) === "djb-tweak");
  const key: EccPrivateKey = { type: "ecc", curve, djbTweak, d: d.slice() };
  const q = atomParam(params, "q");
  if (q) key.q = q.slice();
  return key;
}

/** Decimal digits at the start of the atom (scdaemon stops at the first non-digit). */
function leadingDecimal(atom: Uint8Array): number {
  let v = 0;
  for (const b of atom) {
    if (b < 0x30 || b > 0x39) break;
    v = v * 10 + b - 0x30;
  }
  return v;
}

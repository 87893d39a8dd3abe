/**
 * Simulated card latency as data: a model is a default time per APDU plus rules for the
 * commands that cost more on real cards (VERIFY, PSO:CDS, PSO:DECIPHER, INTERNAL
 * AUTHENTICATE, GENERATE), optionally by key algorithm and size. {@linkcode delayFor} is a
 * pure function of the model, the command, the key it uses and the card's answer; the card
 * object only sleeps for what it returns.
 *
 * Text form (CLI `--latency`, control command `latency`): a model name (`none`, `openpgp34`,
 * `nitrokey3`) and/or comma-separated `SELECTOR=MS` items, e.g. `20=800,2A=150,default=10`
 * or `nitrokey3,2A9E9A/rsa4096=2000`. SELECTOR is `default` or the INS in hex, optionally
 * followed by P1 and P2 (`2A9E9A`, `4780`), optionally `/KEY` (`rsa`, `rsa2048`, `ecc`).
 * Items override the named model's rules. Numbers and sources: docs/bench.md.
 * @module
 */

/** The key an APDU uses, as far as latency cares. */
export type LatencyKey = { kind: "rsa"; bits: number } | { kind: "ecc" };

/** One rule: matches a command (and optionally its key); first match wins. */
export interface LatencyRule {
  ins: number;
  p1?: number;
  p2?: number;
  /** `rsa` (any size), `rsa2048`, `rsa4096`, … or `ecc`. */
  key?: string;
  /** Only commands with data (VERIFY with a PIN, not the status query or reset). */
  withData?: boolean;
  /** Only when the card answered 9000/61xx (a refused PSO costs no crypto). */
  okOnly?: boolean;
  ms: number;
}

/** A latency model: time per APDU unless a rule says otherwise. */
export interface LatencyModel {
  name: string;
  defaultMs: number;
  rules: readonly LatencyRule[];
}

/** What {@linkcode delayFor} looks at. */
export interface LatencyInput {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  hasData: boolean;
  /** The card's status word. */
  sw: number;
  key?: LatencyKey | undefined;
}

const VERIFY = 0x20;
const PSO = 0x2a;
const INTERNAL_AUTH = 0x88;
const GENERATE = 0x47;
const CLA_CHAINING = 0x10;

/** The private-key operations, each `ms` (only when the card did them). */
function cryptoRules(ms: number, key?: string): LatencyRule[] {
  const k = key === undefined ? {} : { key };
  return [
    { ins: PSO, p1: 0x9e, p2: 0x9a, okOnly: true, ms, ...k },
    { ins: PSO, p1: 0x80, p2: 0x86, okOnly: true, ms, ...k },
    { ins: INTERNAL_AUTH, okOnly: true, ms, ...k },
  ];
}

/** No latency: the default, what the tests use. */
export const NONE: LatencyModel = { name: "none", defaultMs: 0, rules: [] };

/** A generic OpenPGP card 3.4 (smartcard chip): 10 ms per APDU, 150 ms per key operation. */
export const OPENPGP34: LatencyModel = {
  name: "openpgp34",
  defaultMs: 10,
  rules: [
    ...cryptoRules(150),
    { ins: GENERATE, p1: 0x80, okOnly: true, ms: 1500 },
  ],
};

/**
 * Nitrokey 3 (opcard-rs): VERIFY 800 ms (measured by users, opcard-rs issue #204); GET DATA
 * 127 ms (piv-authenticator issue 40) and SELECT + GET DATA 6E about 500 ms together
 * (quickvm/scd-rs README), so SELECT 373 ms; the PSO and GENERATE times are estimates
 * (docs/bench.md).
 */
export const NITROKEY3: LatencyModel = {
  name: "nitrokey3",
  defaultMs: 15,
  rules: [
    { ins: VERIFY, withData: true, ms: 800 },
    { ins: 0xa4, ms: 373 },
    { ins: 0xca, ms: 127 },
    ...cryptoRules(1600, "rsa4096"),
    ...cryptoRules(900, "rsa3072"),
    ...cryptoRules(500, "rsa"),
    ...cryptoRules(60, "ecc"),
    { ins: GENERATE, p1: 0x80, okOnly: true, key: "rsa", ms: 60_000 },
    { ins: GENERATE, p1: 0x80, okOnly: true, ms: 300 },
  ],
};

/** The named models. */
export const LATENCY_MODELS: Readonly<Record<string, LatencyModel>> = {
  none: NONE,
  openpgp34: OPENPGP34,
  nitrokey3: NITROKEY3,
};

/**
 * The old two-number form (`--latency-apdu`, `--latency-pso`): `apduMs` per APDU, plus
 * `psoMs` for PSO, INTERNAL AUTHENTICATE and GENERATE when the card performed them.
 */
export function legacyModel(apduMs: number, psoMs: number): LatencyModel {
  const total = apduMs + psoMs;
  const rules = psoMs > 0
    ? [...cryptoRules(total), { ins: GENERATE, p1: 0x80, okOnly: true, ms: total }]
    : [];
  return { name: `apdu=${apduMs},pso=${psoMs}`, defaultMs: apduMs, rules };
}

function keyLabel(key: LatencyKey | undefined): string | undefined {
  if (key === undefined) return undefined;
  return key.kind === "rsa" ? `rsa${key.bits}` : "ecc";
}

function keyMatches(rule: string | undefined, key: LatencyKey | undefined): boolean {
  if (rule === undefined) return true;
  const label = keyLabel(key);
  if (label === undefined) return false;
  return rule === label || (rule === "rsa" && label.startsWith("rsa"));
}

function isOk(sw: number): boolean {
  return sw === 0x9000 || (sw & 0xff00) === 0x6100;
}

/** Whether `rule` applies to the command. */
export function ruleMatches(rule: LatencyRule, input: LatencyInput): boolean {
  return rule.ins === input.ins &&
    (rule.p1 === undefined || rule.p1 === input.p1) &&
    (rule.p2 === undefined || rule.p2 === input.p2) &&
    (rule.withData !== true || input.hasData) &&
    (rule.okOnly !== true || isOk(input.sw)) &&
    keyMatches(rule.key, input.key);
}

/**
 * Milliseconds the card takes for one APDU. A chained part (CLA bit 0x10) is plain transport:
 * only the last part does the operation.
 */
export function delayFor(model: LatencyModel, input: LatencyInput): number {
  if (input.cla & CLA_CHAINING) return model.defaultMs;
  return model.rules.find((r) => ruleMatches(r, input))?.ms ?? model.defaultMs;
}

/** Thrown for a latency specification that does not parse. */
export class LatencySyntaxError extends Error {
  override name = "LatencySyntaxError";
}

const SELECTOR = /^([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})?([0-9A-Fa-f]{2})?(?:\/(rsa\d*|ecc))?$/;

function parseMs(text: string, item: string): number {
  if (!/^\d+(\.\d+)?$/.test(text)) {
    throw new LatencySyntaxError(`Cannot parse latency "${item}": "${text}" is not milliseconds`);
  }
  return Number(text);
}

function parseRule(selector: string, ms: number, item: string): LatencyRule {
  const m = SELECTOR.exec(selector);
  if (m === null) {
    throw new LatencySyntaxError(
      `Cannot parse latency "${item}": expected default or INS[P1[P2]][/rsa|/rsaNNNN|/ecc]`,
    );
  }
  const rule: LatencyRule = { ins: parseInt(m[1]!, 16), ms };
  if (m[2] !== undefined) rule.p1 = parseInt(m[2], 16);
  if (m[3] !== undefined) rule.p2 = parseInt(m[3], 16);
  if (m[4] !== undefined) rule.key = m[4].toLowerCase();
  return rule;
}

/**
 * Parse `openpgp34`, `20=800,2A=150,default=10` or `nitrokey3,20=500` into a model. `models`
 * names the models a spec may start with (the CLI adds every profile's and `real`).
 */
export function parseLatency(
  spec: string,
  models: Readonly<Record<string, LatencyModel>> = LATENCY_MODELS,
): LatencyModel {
  const items = spec.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw new LatencySyntaxError("Cannot parse latency: empty");
  let base = NONE;
  let defaultMs: number | undefined;
  const rules: LatencyRule[] = [];
  items.forEach((item, i) => {
    const eq = item.indexOf("=");
    if (eq < 0) {
      const named = models[item.toLowerCase()];
      if (named === undefined || i !== 0) {
        const names = Object.keys(models).join(", ");
        throw new LatencySyntaxError(
          `Cannot parse latency "${item}": a model name (${names}) comes first, then SELECTOR=MS`,
        );
      }
      base = named;
      return;
    }
    const selector = item.slice(0, eq).trim();
    const ms = parseMs(item.slice(eq + 1).trim(), item);
    if (selector.toLowerCase() === "default") defaultMs = ms;
    else rules.push(parseRule(selector, ms, item));
  });
  const name = items.length === 1 && base !== NONE ? base.name : spec;
  return { name, defaultMs: defaultMs ?? base.defaultMs, rules: [...rules, ...base.rules] };
}

/** The key of an algorithm-attributes value (C1–C3, hex): RSA with its modulus size, or ECC. */
export function latencyKeyOf(attributesHex: string): LatencyKey | undefined {
  const algo = parseInt(attributesHex.slice(0, 2), 16);
  if (algo === 0x01 && attributesHex.length >= 6) {
    return { kind: "rsa", bits: parseInt(attributesHex.slice(2, 6), 16) };
  }
  if (algo === 0x12 || algo === 0x13 || algo === 0x16) return { kind: "ecc" };
  return undefined;
}

const CRT_SLOT: Readonly<Record<number, number>> = { 0xb6: 0, 0xb8: 1, 0xa4: 2 };

/**
 * Which key slot (0 sig, 1 dec, 2 aut) a command uses, from its header and data: PSO:CDS,
 * PSO:DECIPHER, INTERNAL AUTHENTICATE, GENERATE (its CRT tag); undefined for the others.
 */
export function keySlotOf(
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array,
): number | undefined {
  if (ins === PSO && p1 === 0x9e && p2 === 0x9a) return 0;
  if (ins === PSO && p1 === 0x80 && p2 === 0x86) return 1;
  if (ins === INTERNAL_AUTH) return 2;
  if (ins === GENERATE) return data.length > 0 ? CRT_SLOT[data[0]!] : undefined;
  return undefined;
}

/**
 * Malformed card responses for the card fuzzer: each case picks which responses to spoil
 * (the n-th of the case, every answer to one INS, or each with some probability) and how —
 * truncated or overlong TLV, wrong length bytes, bogus status words, 61xx without end,
 * 61xx that announces fewer bytes than it sends, 6Cxx without end, random bytes, answers
 * shorter than a status word, data larger than any APDU may carry.
 * @module
 */

import type { ResponseMutator } from "./_daemon.ts";
import type { Prng } from "./prng.ts";

/** Status words a confused card might send. */
const BOGUS_SW = [
  0x6100,
  0x6101,
  0x61ff,
  0x6c00,
  0x6c01,
  0x6cff,
  0x6700,
  0x6982,
  0x6983,
  0x63c0,
  0x63c2,
  0x6a82,
  0x6a88,
  0x6f00,
  0x6d00,
  0x6e00,
  0x6581,
  0x6285,
  0x6600,
  0x0000,
  0xffff,
  0x9001,
  0x9000,
];

/** Instructions whose answers a case may target (OpenPGP card 3.4 §7.2). */
const INS = [0xa4, 0xa4, 0xca, 0xca, 0xca, 0xc0, 0x20, 0x20, 0x2a, 0x88, 0x47, 0x47, 0x84];

type Spoil = (response: Uint8Array, prng: Prng, command: Uint8Array) => Uint8Array;

function withSw(data: Uint8Array, sw: number): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = sw >> 8;
  out[data.length + 1] = sw & 0xff;
  return out;
}

function dataOf(response: Uint8Array): Uint8Array {
  return response.subarray(0, Math.max(0, response.length - 2));
}

function swOf(response: Uint8Array): number {
  return response.length < 2 ? 0x9000 : (response.at(-2)! << 8) | response.at(-1)!;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Ways to spoil one response, by name (the names appear in failure reports). */
const SPOILS: Record<string, Spoil> = {
  "truncate": (r, p) => withSw(dataOf(r).subarray(0, p.int(dataOf(r).length + 1)), swOf(r)),
  "cut-sw": (r, p) => r.subarray(0, p.int(Math.min(r.length, 2))),
  "empty-data": (r) => withSw(new Uint8Array(0), swOf(r)),
  "append": (r, p) => withSw(concat(dataOf(r), p.bytes(p.range(1, 300))), swOf(r)),
  "flip": (r, p) => {
    const d = dataOf(r).slice();
    for (let i = p.range(1, 4); i > 0 && d.length > 0; i--) {
      const at = p.int(d.length);
      d[at] = d[at]! ^ (1 << p.int(8));
    }
    return withSw(d, swOf(r));
  },
  "length-byte": (r, p) => {
    const d = dataOf(r).slice();
    if (d.length > 1) {
      const at = p.range(1, Math.min(d.length - 1, 6));
      d[at] = p.pick([0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xff, d[at]! + 1]);
    }
    return withSw(d, swOf(r));
  },
  "huge-length": (r, p) => {
    const tag = dataOf(r).subarray(0, p.chance(0.5) ? 1 : 2);
    return withSw(concat(tag, Uint8Array.of(0x84, 0xff, 0xff, 0xff, 0xff, 1, 2)), 0x9000);
  },
  "tag": (r, p) => {
    const d = dataOf(r).slice();
    if (d.length > 0) d[0] = p.int(256);
    return withSw(d, swOf(r));
  },
  "sw": (r, p) => withSw(dataOf(r), p.pick(BOGUS_SW)),
  "sw-random": (r, p) => withSw(dataOf(r), p.int(0x10000)),
  "random": (_r, p) => p.bytes(p.int(300)),
  "oversize": (r, p) => withSw(p.bytes(p.pick([257, 4096, 65537, 70000])), swOf(r)),
  "deep-nest": (_r, p) => {
    const depth = p.range(50, 2000);
    const d = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) d.set([0x73, 0x81], i * 2); // constructed, long length
    return withSw(d, 0x9000);
  },
};

const SPOIL_NAMES = Object.keys(SPOILS);

/** 61xx forever: every answer (GET RESPONSE too) says more bytes are waiting. */
function endless61(prng: Prng): ResponseMutator {
  const chunk = prng.pick([0, 1, 16, 255]);
  const sw = prng.pick([0x6100, 0x6101, 0x6110, 0x61ff]);
  return () => withSw(new Uint8Array(chunk), sw);
}

/** 61xx announcing few bytes, then a GET RESPONSE answer far larger than announced. */
function lying61(prng: Prng): ResponseMutator {
  let armed = true;
  return (command, response) => {
    if (command[1] === 0xc0) return withSw(prng.bytes(prng.range(1, 3000)), 0x9000);
    if (!armed) return response;
    armed = prng.chance(0.5);
    return withSw(dataOf(response).subarray(0, 4), 0x6100 | prng.range(1, 8));
  };
}

/** 6Cxx forever: the exact-length resend never satisfies the card. */
function endless6c(prng: Prng): ResponseMutator {
  const sw = 0x6c00 | prng.int(256);
  return () => withSw(new Uint8Array(0), sw);
}

/** A mutator for one case and a printable description of it. */
export function caseMutator(prng: Prng): { name: string; mutate: ResponseMutator } {
  const r = prng.int(100);
  if (r < 4) return { name: "endless 61xx", mutate: endless61(prng) };
  if (r < 7) return { name: "lying 61xx", mutate: lying61(prng) };
  if (r < 9) return { name: "endless 6Cxx", mutate: endless6c(prng) };
  const spoilName = prng.pick(SPOIL_NAMES);
  const spoil = SPOILS[spoilName]!;
  if (r < 55) {
    const n = prng.int(prng.chance(0.5) ? 4 : 16); // a case sends 3 to 20 APDUs
    let seen = 0;
    const mutate: ResponseMutator = (c, resp) => seen++ === n ? spoil(resp, prng, c) : resp;
    return { name: `${spoilName} on response #${n}`, mutate };
  }
  if (r < 80) {
    const ins = prng.pick(INS);
    const mutate: ResponseMutator = (c, resp) => c[1] === ins ? spoil(resp, prng, c) : resp;
    return { name: `${spoilName} on every INS ${ins.toString(16).toUpperCase()}`, mutate };
  }
  const p = prng.pick([0.05, 0.2, 0.5]);
  const mutate: ResponseMutator = (c, resp) => prng.chance(p) ? spoil(resp, prng, c) : resp;
  return { name: `${spoilName} on each response with p=${p}`, mutate };
}

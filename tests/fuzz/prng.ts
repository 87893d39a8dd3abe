/**
 * A small seeded PRNG for the fuzzers (mulberry32: 32-bit state, full period 2^32, good
 * enough to pick cases and bytes; not for anything secret). The same seed gives the same
 * sequence on every machine, so a failing case replays from `seed` and its index.
 * @module
 */

/** Deterministic random numbers from a 32-bit seed. */
export class Prng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The generator for case `index` of a run with `seed`: cases replay independently. */
  static forCase(seed: number, index: number): Prng {
    // Mix the index in with a multiplicative hash so neighbouring cases are unrelated.
    return new Prng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.nextU32() % n;
  }

  /** Integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.nextU32() / 0x1_0000_0000 < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Cannot pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextU32() & 0xff;
    return out;
  }

  /** Random printable ASCII (0x21..0x7e), `n` characters. */
  text(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(0x21 + this.int(94));
    return s;
  }
}

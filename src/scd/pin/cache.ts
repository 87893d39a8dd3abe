/**
 * scd-ts's own PIN cache. Under the default `strict` PIN policy the card's verification is
 * reset after every operation, so without a cache every signature would ask for the PIN —
 * where stock scdaemon asks once and then relies on the card staying verified (`did_chv1`,
 * `did_chv2`, `did_chv3` in gpg/gnupg:scd/app-openpgp.c). The cache gives back that
 * behaviour without leaving the card open to other PC/SC clients.
 *
 * Rules (docs/pin-policy.md):
 * - entries are per card connection (a registry card entry, i.e. one insertion of one card)
 *   and per verification, as stock tracks them: CHV1 (PW1 for signing, VERIFY 81), CHV2
 *   (PW1 for the rest, VERIFY 82), CHV3 (Admin PIN); a PIN accepted as CHV2 also counts for
 *   CHV1 (stock's `verify_chv2` verifies both), not the other way round; reset codes and new
 *   or current PINs of a PIN change are never cached;
 * - only a PIN the card accepted is stored; a rejected one drops the entry at once, so a PIN
 *   the card refused is never sent again;
 * - like stock's own cache (`verify_a_chv`), an entry is only used while the card reports all
 *   three tries left, and never for a single-use verification (forced signature PIN);
 * - sliding TTL (`SCD_TS_PIN_TTL`, default 10 minutes, 0 = no cache): each use restarts it;
 * - entries hold the PIN bytes only (no prompt, no serial) and are zeroed when dropped.
 * @module
 */

import type { PinKind, PinOutcome, PinProvider, PinQuery, PinRequest } from "../../app/mod.ts";
import { wipe } from "../../util/bytes.ts";

/** Default time a cached PIN lives without use. */
export const DEFAULT_PIN_TTL_MS = 10 * 60 * 1000;

/** Longest TTL accepted (setTimeout's limit, about 24 days). */
const MAX_TTL_MS = 0x7fffffff;

const UNITS: Record<string, number> = { "": 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parse a TTL setting: a number of seconds, or a number with unit `s`, `m`, `h` or `d`
 * (`600`, `10m`, `1.5h`); `0` turns the cache off. Undefined when unreadable.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
  return Math.min(ms, MAX_TTL_MS);
}

/** The verifications the cache keeps a PIN for (gnupg's CHV numbers). */
export type CachedPin = "chv1" | "chv2" | "chv3";

/** The entries that hold `kind`'s secret (the user PIN serves CHV1 and CHV2). */
function entriesOf(kind: PinKind): CachedPin[] {
  return kind === "user" ? ["chv1", "chv2"] : kind === "admin" ? ["chv3"] : [];
}

interface Entry {
  pin: Uint8Array;
  expires: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Options for {@linkcode PinCache}. */
export interface PinCacheOptions {
  /** Sliding lifetime of an entry in ms; 0 disables the cache. */
  ttlMs: number;
  /** Clock (tests). */
  now?: () => number;
  /** Schedule expiry timers (default true; tests may sweep by hand). */
  timers?: boolean;
}

/** PIN bytes per card connection (`scope`) and kind, with a sliding TTL. */
export class PinCache {
  readonly ttlMs: number;
  #now: () => number;
  #timers: boolean;
  #entries = new Map<object, Map<CachedPin, Entry>>();

  constructor(options: PinCacheOptions) {
    this.ttlMs = Math.max(0, Math.min(options.ttlMs, MAX_TTL_MS));
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? true;
  }

  /** False when the TTL is 0: nothing is ever stored. */
  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Number of PINs held now (for tests and logs). */
  get size(): number {
    let n = 0;
    for (const kinds of this.#entries.values()) n += kinds.size;
    return n;
  }

  /** A copy of the cached PIN (the caller wipes it), restarting its TTL; undefined if none. */
  get(scope: object, kind: CachedPin): Uint8Array | undefined {
    const entry = this.#entries.get(scope)?.get(kind);
    if (!entry) return undefined;
    if (this.#now() >= entry.expires) {
      this.drop(scope, kind);
      return undefined;
    }
    this.#arm(scope, kind, entry);
    return entry.pin.slice();
  }

  /** Whether a live entry exists (does not restart its TTL). */
  has(scope: object, kind: CachedPin): boolean {
    const entry = this.#entries.get(scope)?.get(kind);
    return entry !== undefined && this.#now() < entry.expires;
  }

  /** Store a copy of `pin` (the caller keeps and wipes its own bytes). */
  put(scope: object, kind: CachedPin, pin: Uint8Array): void {
    if (!this.enabled || pin.length === 0) return;
    this.drop(scope, kind);
    let kinds = this.#entries.get(scope);
    if (!kinds) this.#entries.set(scope, kinds = new Map());
    const entry: Entry = { pin: pin.slice(), expires: 0, timer: undefined };
    kinds.set(kind, entry);
    this.#arm(scope, kind, entry);
  }

  /** Wipe and forget `kind` (a list of them, or every one) of `scope`. */
  drop(scope: object, kind?: CachedPin | readonly CachedPin[]): void {
    const kinds = this.#entries.get(scope);
    if (!kinds) return;
    const which = kind === undefined ? [...kinds.keys()] : typeof kind === "string" ? [kind] : kind;
    for (const k of which) {
      const entry = kinds.get(k);
      if (!entry) continue;
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      wipe(entry.pin);
      kinds.delete(k);
    }
    if (kinds.size === 0) this.#entries.delete(scope);
  }

  /** Drop every scope for which `stale` says true (card removed, swapped or reset). */
  dropWhere(stale: (scope: object) => boolean): void {
    for (const scope of [...this.#entries.keys()]) if (stale(scope)) this.drop(scope);
  }

  /** Drop entries whose TTL has passed (timers do this by themselves). */
  sweep(): void {
    const now = this.#now();
    for (const [scope, kinds] of [...this.#entries]) {
      for (const [kind, entry] of [...kinds]) if (now >= entry.expires) this.drop(scope, kind);
    }
  }

  /** Wipe and forget everything. */
  clear(): void {
    this.dropWhere(() => true);
  }

  #arm(scope: object, kind: CachedPin, entry: Entry): void {
    entry.expires = this.#now() + this.ttlMs;
    if (!this.#timers) return;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    const timer = setTimeout(() => {
      entry.timer = undefined;
      this.drop(scope, kind);
    }, this.ttlMs);
    // an idle cache must not keep the process alive
    Deno.unrefTimer(timer);
    entry.timer = timer;
  }
}

/** Which cache entry a request may use or fill: VERIFY of the user or Admin PIN only. */
export function cacheKind(request: PinQuery): CachedPin | undefined {
  if (request.purpose !== "verify") return undefined;
  if (request.kind === "admin") return "chv3";
  if (request.kind !== "user") return undefined;
  return request.chvNo === 1 ? "chv1" : "chv2";
}

/** Whether a cached PIN may answer `request` (stock's `remaining >= 3` rule, no single use). */
function mayAnswer(request: PinQuery): boolean {
  return !request.singleUse && (request.triesLeft === undefined || request.triesLeft >= 3);
}

/** Where an answer came from (logged at debug level, checked by tests). */
export type PinSource = "cache" | "client";

/**
 * A {@linkcode PinProvider} that answers from a {@linkcode PinCache} for one card when it may
 * and asks the inner provider (INQUIRE NEEDPIN) otherwise; it stores what the card accepted
 * and drops what it rejected. Dispose it when the operation ends: PIN copies still waiting
 * for the card's verdict (an operation that failed before VERIFY) are wiped then.
 */
export class CachingPinProvider implements PinProvider, Disposable {
  #inner: PinProvider;
  #cache: PinCache;
  #scope: object;
  #onAnswer: ((request: PinRequest, source: PinSource) => void) | undefined;
  #answer: boolean;
  // PINs handed to the application, kept until the card's verdict decides whether to store.
  #pending = new Map<PinRequest, Uint8Array>();

  constructor(
    inner: PinProvider,
    cache: PinCache,
    scope: object,
    options: {
      /** False: always ask the client (a forced check), but still store what is accepted. */
      answer?: boolean;
      onAnswer?: (request: PinRequest, source: PinSource) => void;
    } = {},
  ) {
    this.#inner = inner;
    this.#cache = cache;
    this.#scope = scope;
    this.#answer = options.answer ?? true;
    this.#onAnswer = options.onAnswer;
  }

  /** True when {@linkcode get} would answer from the cache (no INQUIRE). */
  canAnswer(query: PinQuery): boolean {
    const kind = cacheKind(query);
    return kind !== undefined && this.#cache.enabled && !query.singleUse && this.#answer &&
      mayAnswer(query) && this.#cache.has(this.#scope, kind);
  }

  async get(request: PinRequest): Promise<Uint8Array> {
    const kind = cacheKind(request);
    const storable = kind !== undefined && this.#cache.enabled && !request.singleUse;
    if (storable && this.#answer && mayAnswer(request)) {
      const hit = this.#cache.get(this.#scope, kind);
      if (hit) {
        this.#onAnswer?.(request, "cache");
        this.#hold(request, hit);
        return hit;
      }
    }
    const pin = await this.#inner.get(request);
    this.#onAnswer?.(request, "client");
    if (storable) this.#hold(request, pin);
    return pin;
  }

  report(request: PinRequest, outcome: PinOutcome): void {
    const pin = this.#pending.get(request);
    this.#pending.delete(request);
    try {
      const kind = cacheKind(request);
      if (outcome === "accepted" && pin && kind) {
        this.#cache.put(this.#scope, kind, pin);
        // stock's verify_chv2 verifies CHV1 with the same PIN (unless the PIN is forced)
        if (kind === "chv2") this.#cache.put(this.#scope, "chv1", pin);
      }
      // any refusal of the user or Admin PIN (also as the old PIN of a change) drops it
      if (outcome === "rejected") this.#cache.drop(this.#scope, entriesOf(request.kind));
    } finally {
      wipe(pin);
    }
    this.#inner.report?.(request, outcome);
  }

  /** The card's `kind` secret changed (or may have): its copies go. */
  forget(kind: PinKind): void {
    this.#cache.drop(this.#scope, entriesOf(kind));
    this.#inner.forget?.(kind);
  }

  /** Wipe PIN copies that never got a verdict. */
  [Symbol.dispose](): void {
    for (const pin of this.#pending.values()) wipe(pin);
    this.#pending.clear();
  }

  #hold(request: PinRequest, pin: Uint8Array): void {
    wipe(this.#pending.get(request));
    this.#pending.set(request, pin.slice());
  }
}

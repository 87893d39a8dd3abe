/**
 * Durations that shape how scd-ts uses readers, from `scd-ts.conf` or the environment (the
 * config loader merges both, the environment winning): `pool-ttl` (SCD_TS_POOL_TTL), `hold`
 * (SCD_TS_HOLD),
 * `busy-timeout` (SCD_TS_BUSY_TIMEOUT), `card-state-ttl` (SCD_TS_CARD_STATE_TTL). Values are
 * seconds or a number with `ms`/`s`/`m`/`h`/`d`; an unreadable value is warned about and the
 * default used.
 * @module
 */

import { getLog } from "../log.ts";
import type { ScdConfig } from "./config.ts";
import { parseDuration } from "./pin_cache.ts";

const log = getLog("scd");

/** Defaults (README "Settings" explains each). */
export const READER_DEFAULTS = {
  /** No pooled handle: nothing is held between operations (see README for why). */
  "pool-ttl": 0,
  /** Give up on a card another program keeps busy after 30 s. */
  "busy-timeout": 30_000,
  /** Re-read what is known about a card at least every 10 minutes. */
  "card-state-ttl": 10 * 60 * 1000,
  /**
   * Burst hold of 500 ms: bench/results.md shows a warm signature at 0.93x stock (openpgp34)
   * and 0.97x (nitrokey3) with it, 1.25x and 2.57x without (the VERIFY of every operation).
   */
  "hold": 500,
} as const;

/** One of the durations in ms. */
export function readerSetting(config: ScdConfig, key: keyof typeof READER_DEFAULTS): number {
  const text = config.values.get(key);
  if (text === undefined || text.trim() === "") return READER_DEFAULTS[key];
  const ms = /^\s*\d+\s*ms\s*$/i.test(text) ? parseInt(text, 10) : parseDuration(text);
  if (ms === undefined) {
    log.warning("Cannot read {key} {value}; using the default", { key, value: text });
    return READER_DEFAULTS[key];
  }
  return ms;
}

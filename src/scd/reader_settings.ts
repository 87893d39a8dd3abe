/**
 * Durations that shape how scd-ts uses readers, from `scd-ts.conf` or the environment (the
 * config loader merges both, the environment winning): `pool-ttl` (SCD_TS_POOL_TTL), `hold`
 * (SCD_TS_HOLD), `hold-max` (SCD_TS_HOLD_MAX), `monitor-idle` (SCD_TS_MONITOR_IDLE),
 * `busy-timeout` (SCD_TS_BUSY_TIMEOUT), `card-state-ttl` (SCD_TS_CARD_STATE_TTL). Values are
 * seconds or a number with `ms`/`s`/`m`/`h`/`d`; an unreadable value is warned about and the
 * default used.
 * @module
 */

import { getLog } from "../log.ts";
import { HOLD_MAX_MS, HOLD_MAX_OPS } from "../openpgp/mod.ts";
import type { ScdConfig } from "./config.ts";
import { DEFAULT_PIN_TTL_MS, parseDuration, pinTtlMs } from "./pin/mod.ts";

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
   * Burst hold of 500 ms: bench/results.md (default configuration, gnupg 2.2) shows a warm
   * signature at 0.95x stock (openpgp34) and 0.97x (nitrokey3) with it; the now-and-then
   * signature, which the hold does not reach, at 1.15x and 2.52x (the VERIFY of every
   * operation).
   */
  "hold": 500,
  /**
   * The burst hold ends 2 s after it began however busy the client keeps it (and after
   * burst_hold.ts's 16 operations): another program waits at most about that long.
   */
  "hold-max": HOLD_MAX_MS,
  /**
   * Stop the reader monitor (and its PC/SC context) after 10 minutes without a command, so a
   * `--auto-exit` pcscd can exit; 0 = never. As long as the PIN cache's default TTL: by the
   * time the monitor stops no cached PIN is left that a card pulled and put back meanwhile
   * could get, and the card-state model is due for a re-read anyway. docs/reliability.md F5b
   * has the figures.
   */
  "monitor-idle": DEFAULT_PIN_TTL_MS,
} as const;

/** One of the durations in ms. */
export function readerSetting(
  config: Pick<ScdConfig, "values">,
  key: keyof typeof READER_DEFAULTS,
): number {
  const text = config.values.get(key);
  if (text === undefined || text.trim() === "") return READER_DEFAULTS[key];
  const ms = /^\s*\d+\s*ms\s*$/i.test(text) ? parseInt(text, 10) : parseDuration(text);
  if (ms === undefined) {
    log.warning("Cannot read {key} {value}; using the default", { key, value: text });
    return READER_DEFAULTS[key];
  }
  return ms;
}

/** The burst hold in effect (openpgp/burst_hold.ts). */
export interface BurstHold {
  /** `hold`; 0 when the hold is off. */
  holdMs: number;
  /** `hold-max`. */
  holdMaxMs: number;
  /** Operations in one hold at most (a constant; burst_hold.ts says why 16). */
  holdMaxOps: number;
  /** Why the hold is off, when it is. */
  off: string | undefined;
}

/**
 * `hold` and `hold-max`, and the rule that the hold is off while the PIN cache is
 * (`pin-cache-ttl 0`): a user who turned the cache off expects every operation to ask for the
 * PIN, and a held transaction would run the next ones on the verification of the first.
 */
export function burstHold(
  config: ScdConfig,
  env?: (name: string) => string | undefined,
): BurstHold {
  const holdMs = readerSetting(config, "hold");
  const holdMaxMs = readerSetting(config, "hold-max");
  const off = holdMs === 0
    ? "hold is 0"
    : holdMaxMs === 0
    ? "hold-max is 0"
    : pinTtlMs(config, env) === 0
    ? "pin-cache-ttl is 0 (every operation asks for the PIN)"
    : undefined;
  return { holdMs: off ? 0 : holdMs, holdMaxMs, holdMaxOps: HOLD_MAX_OPS, off };
}

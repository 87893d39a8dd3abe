/**
 * doctor's check of the scd-ts settings in effect: each key with its environment variable
 * and the values the daemon accepts (README "Configuration"). The daemon itself falls back
 * (to the default, or for `pin-cache-ttl` to no cache) and logs a warning for a bad value;
 * doctor says so up front.
 * @module
 */

/** src/scd/reader_settings.ts: whole milliseconds, or a number with s/m/h/d. */
const DURATION = /^\s*(?:\d+\s*ms|\d+(?:\.\d+)?\s*[smhd]?)\s*$/i;
/** src/scd/pin/cache.ts `parseDuration` (no milliseconds), or pin/context.ts's words for off. */
const PIN_TTL = /^\s*(?:\d+(?:\.\d+)?\s*[smhd]?|off|none|no)\s*$/i;

/** What the daemon does with an unreadable value, unless the setting says otherwise. */
const USES_DEFAULT = "the daemon uses the default";

/**
 * key → [environment variable, test of a valid value, what is accepted, and what the daemon
 * does with a value it cannot read when that is not {@linkcode USES_DEFAULT}].
 */
const SETTINGS: Record<string, [string, (v: string) => boolean, string, string?]> = {
  "reader": ["SCD_TS_READER", () => true, "a reader name or virtual:STATEFILE"],
  "log": ["SCD_TS_LOG", () => true, "a file"],
  "log-level": [
    "SCD_TS_LOG_LEVEL",
    (v) => /^(trace|debug|info|warning|error|fatal)$/.test(v),
    "debug, info, warning or error",
  ],
  "trace": ["SCD_TS_TRACE", () => true, "a file"],
  "compat-version": ["SCD_TS_COMPAT_VERSION", (v) => /^\d+\.\d+\.\d+$/.test(v), "a version X.Y.Z"],
  "deny-admin": ["SCD_TS_DENY_ADMIN", (v) => /^(yes|no|1|0|true|false)$/i.test(v), "yes or no"],
  "pin-cache-ttl": [
    "SCD_TS_PIN_TTL",
    (v) => PIN_TTL.test(v),
    "a duration (600, 10m, 1h) or 0, off, none, no",
    // src/scd/pin/context.ts pinTtlMs fails closed
    "the daemon turns the PIN cache off",
  ],
  "pin-policy": [
    "SCD_TS_PIN_POLICY",
    (v) => v === "strict" || v === "session",
    "strict or session",
  ],
  "card-state-ttl": ["SCD_TS_CARD_STATE_TTL", (v) => DURATION.test(v), "a duration"],
  "busy-timeout": ["SCD_TS_BUSY_TIMEOUT", (v) => DURATION.test(v), "a duration"],
  "pool-ttl": ["SCD_TS_POOL_TTL", (v) => DURATION.test(v), "a duration"],
  "hold": ["SCD_TS_HOLD", (v) => DURATION.test(v), "a duration (500ms; 0 = off)"],
  "hold-max": ["SCD_TS_HOLD_MAX", (v) => DURATION.test(v), "a duration (2s; 0 = no hold)"],
  "monitor-idle": ["SCD_TS_MONITOR_IDLE", (v) => DURATION.test(v), "a duration (10m; 0 = never)"],
  "ssh-refuse-forwarded": [
    "SCD_TS_SSH_REFUSE_FORWARDED",
    (v) => /^(yes|no|1|0|true|false|on|off)$/i.test(v),
    "yes or no",
    "anything but yes, 1, true or on leaves forwarded signatures allowed",
  ],
  "pin-store": [
    "SCD_TS_PIN_STORE",
    (v) => /^(memory|keyring)$/i.test(v.trim()),
    "memory or keyring (scd-ts ssh-agent only)",
    "scd-ts ssh-agent keeps PINs in memory",
  ],
  "pkcs11-module": [
    "SCD_TS_PKCS11_MODULE",
    (v) => v.trim() !== "",
    "library paths, colon-separated",
  ],
};

/** One setting in effect. */
export interface SettingInEffect {
  key: string;
  value: string;
  /** "environment" (VAR) or "file". */
  from: string;
  /** Set when the daemon will not accept the value. */
  invalid?: string;
  /** With `invalid`: what the daemon does instead. */
  fallback?: string;
}

/** The settings in effect: the environment wins over the file's `values`. */
export function settingsInEffect(
  fileValues: ReadonlyMap<string, string>,
  env: (name: string) => string | undefined,
): SettingInEffect[] {
  const out: SettingInEffect[] = [];
  for (const [key, [variable, valid, accepted, fallback]] of Object.entries(SETTINGS)) {
    const fromEnv = env(variable);
    const value = fromEnv || fileValues.get(key);
    if (value === undefined || value === "") continue;
    const from = fromEnv ? `environment ${variable}` : "file";
    out.push({
      key,
      value,
      from,
      ...(valid(value)
        ? {}
        : { invalid: `expected ${accepted}`, fallback: fallback ?? USES_DEFAULT }),
    });
  }
  return out;
}

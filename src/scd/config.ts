/**
 * scd-ts configuration: `SCD_TS_*` environment variables and `$GNUPGHOME/scd-ts.conf` (the
 * same keys in lower case with dashes: `SCD_TS_LOG_LEVEL` ↔ `log-level`); the environment
 * wins over the file, and the few stock command-line options that mean the same thing
 * (`--log-file`, `--reader-port`, `--deny-admin`) win over both. scd-ts never reads
 * `scdaemon.conf`, so a user can switch back to stock at any time (design.md §2 item 7).
 *
 * File format: one `key value` per line, `#` comments, blank lines ignored; a key's leading
 * `--` is tolerated, and stock's names `log-file`/`reader-port` are accepted as aliases.
 * @module
 */

import { isLogLevel, type LogLevel } from "@logtape/logtape";
import type { ParsedArgs } from "./argv.ts";
import type { EnvLookup } from "./paths.ts";

/**
 * Stock scdaemon version `GETINFO version` reports when neither `compat-version` is set nor
 * the parent gpg-agent's version can be found (scd/agent_version.ts): the newest stock release
 * whose protocol scd-ts follows, which is ≥ both 2.2.40 and 2.4.7.
 */
export const DEFAULT_COMPAT_VERSION = "2.4.8";

/** The settings scd-ts runs with. */
export interface ScdConfig {
  /** `reader`: reader name (exact or substring), or `virtual:STATEFILE` for the in-process card. */
  reader: string | undefined;
  /** `log`: log file; stderr when unset. */
  logFile: string | undefined;
  /** `log-level`: trace, debug, info, warning, error, fatal. */
  logLevel: LogLevel;
  /** `trace`: Assuan trace file (`<-`/`->` lines, PINs redacted). */
  traceFile: string | undefined;
  /**
   * `compat-version`: what `GETINFO version` reports. gpg warns ("server 'scdaemon' is older
   * than us") when it is lower than its own version (gpg/gnupg:common/asshelp.c
   * `warn_server_version_mismatch`); nothing else reads it. Unset (the default): the version
   * of the gpg-agent that started the daemon (scd/agent_version.ts).
   */
  compatVersion: string | undefined;
  /** `deny-admin`: refuse admin commands (`GETINFO deny_admin` says OK). */
  denyAdmin: boolean;
  /** Every key that was set (file and environment merged), for settings other layers own. */
  values: ReadonlyMap<string, string>;
}

/**
 * `pin-policy`: `strict` (default; no PIN stays verified after a transaction) or `session`
 * (the card stays verified, like stock; docs/pin-policy.md). Anything but `session` is strict.
 */
export function pinPolicyOf(config: Pick<ScdConfig, "values">): "strict" | "session" {
  return config.values.get("pin-policy") === "session" ? "session" : "strict";
}

/** Keys scd-ts knows; others are warned about. */
export const CONFIG_KEYS = [
  "reader",
  "log",
  "log-level",
  "trace",
  "compat-version",
  "deny-admin",
  "pin-policy",
  "pin-cache-ttl",
  "pool-ttl",
  "busy-timeout",
  "card-state-ttl",
  "hold",
  "hold-max",
  "monitor-idle",
  "pkcs11-module",
  "ssh-refuse-forwarded",
  "pin-store",
] as const;

/** Keys that may be given more than once in the file; the values are joined with ":". */
const REPEATABLE = new Set(["pkcs11-module"]);

const ALIASES: Record<string, string> = { "log-file": "log", "reader-port": "reader" };

/** A parsed config file: values and complaints. */
export interface ConfigFile {
  values: Map<string, string>;
  warnings: string[];
}

/** Parse the text of an scd-ts config file. */
export function parseConfigFile(text: string, name = "scd-ts.conf"): ConfigFile {
  const values = new Map<string, string>();
  const warnings: string[] = [];
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const m = /^(?:--)?([A-Za-z0-9-]+)\s*(.*)$/.exec(trimmed);
    if (!m) {
      warnings.push(`${name}:${i + 1}: cannot parse line`);
      return;
    }
    const key = ALIASES[m[1]!.toLowerCase()] ?? m[1]!.toLowerCase();
    if (key === "allow-admin") {
      values.set("deny-admin", "no");
      return;
    }
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      warnings.push(`${name}:${i + 1}: unknown option "${m[1]}" ignored`);
      return;
    }
    const value = m[2]!.replace(/^"(.*)"$/, "$1") || (key === "deny-admin" ? "yes" : "");
    const before = REPEATABLE.has(key) ? values.get(key) : undefined;
    values.set(key, before ? `${before}:${value}` : value);
  });
  return { values, warnings };
}

/** The environment variable of a key: `log-level` → `SCD_TS_LOG_LEVEL`. */
export function envName(key: string): string {
  return `SCD_TS_${key.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * Every `SCD_TS_*` variable scd-ts reads: one per config key, plus those read elsewhere. What
 * must not leak into a daemon that should run on its own settings only (the demo's), and the
 * names `deno task compile` allows (config_test.ts checks the list against the sources).
 */
export const SCD_TS_VARIABLES: readonly string[] = [
  ...CONFIG_KEYS.map(envName),
  "SCD_TS_PIN_TTL", // scd/pin/context.ts: the PIN cache TTL (wins over pin-cache-ttl)
  "SCD_TS_VIRTUAL_PROFILE", // scd/assemble.ts: the built-in card's profile
  "SCD_TS_PCSC_LIBRARY", // ffi/pcsclite.ts: which libpcsclite to load
];

function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  return /^(1|yes|true|on)$/i.test(value);
}

/** Inputs of {@linkcode resolveConfig}. */
export interface ConfigSources {
  env: EnvLookup;
  /** The config file's values (already parsed), if one was read. */
  file?: ReadonlyMap<string, string> | undefined;
  /** The command line. */
  args?: ParsedArgs | undefined;
}

/** Merge file < environment < command line into a {@linkcode ScdConfig}. */
export function resolveConfig(sources: ConfigSources): { config: ScdConfig; warnings: string[] } {
  const warnings: string[] = [];
  const values = new Map(sources.file ?? []);
  for (const key of CONFIG_KEYS) {
    const v = sources.env(envName(key));
    if (v !== undefined && v !== "") values.set(key, v);
  }
  const args = sources.args;
  if (args?.logFile) values.set("log", args.logFile);
  if (args?.readerPort) values.set("reader", args.readerPort);
  if (args?.denyAdmin !== undefined) values.set("deny-admin", args.denyAdmin ? "yes" : "no");

  let logLevel: LogLevel = args?.debug ? "debug" : args?.quiet ? "warning" : "info";
  const level = values.get("log-level");
  if (level !== undefined) {
    if (isLogLevel(level)) logLevel = level;
    else warnings.push(`Unknown log level "${level}" ignored`);
  }
  const config: ScdConfig = {
    reader: values.get("reader") || undefined,
    logFile: values.get("log") || undefined,
    logLevel,
    traceFile: values.get("trace") || undefined,
    compatVersion: values.get("compat-version") || undefined,
    denyAdmin: parseBool(values.get("deny-admin")) ?? false,
    values,
  };
  return { config, warnings };
}

/**
 * Read the config file (`--options FILE`, else `<homedir>/scd-ts.conf`; none with
 * `--no-options`) and merge it with the environment and the command line. A missing default
 * file is fine; a missing `--options` file is a warning.
 */
export async function loadConfig(
  homedir: string,
  sources: { env: EnvLookup; args: ParsedArgs },
): Promise<{ config: ScdConfig; warnings: string[] }> {
  const warnings: string[] = [];
  let file: Map<string, string> | undefined;
  const path = sources.args.options ?? `${homedir}/scd-ts.conf`;
  if (!sources.args.noOptions) {
    try {
      const parsed = parseConfigFile(await Deno.readTextFile(path), path);
      file = parsed.values;
      warnings.push(...parsed.warnings);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || sources.args.options !== undefined) {
        warnings.push(`Cannot read config file "${path}": ${(e as Error).message}`);
      }
    }
  }
  const resolved = resolveConfig({ env: sources.env, file, args: sources.args });
  return { config: resolved.config, warnings: [...warnings, ...resolved.warnings] };
}

/**
 * The bench report: one result per (configuration, case, gnupg, latency, daemon, settings),
 * the card-time floor beside it, the scd-ts vs stock ratios, and the renderings (JSON object,
 * text table, Markdown table). Pure.
 * @module
 */

import { floorMs } from "./floor.ts";
import { p50p95, perOperation, round } from "./stats.ts";

/** The measured gpg operations. */
export type CaseName =
  | "cold-card-status"
  | "cold-sign"
  | "warm-sign"
  | "now-and-then"
  | "decrypt"
  | "ssh-auth"
  | "ssh-agent-auth"
  | "ssh-login"
  | "ssh-agent-login";
export const CASE_NAMES: readonly CaseName[] = [
  "cold-card-status",
  "cold-sign",
  "warm-sign",
  "now-and-then",
  "decrypt",
  "ssh-auth",
  "ssh-agent-auth",
  "ssh-login",
  "ssh-agent-login",
];

/**
 * How the bed and the daemons are set up. `default`: nothing pinned for either daemon, the
 * card in the first of the bed's two readers, the second empty (what a user gets with nothing
 * configured). `two-cards`: nothing pinned, another OpenPGP card in the first reader, the card
 * with the keys in the second. `pinned`: both daemons pinned to the card's reader (the bench's
 * configuration before issue 18, kept for comparison).
 */
export type BenchConfig = "default" | "two-cards" | "pinned";
export const CONFIGS: readonly BenchConfig[] = ["default", "two-cards", "pinned"];

export type Daemon = "stock" | "scd-ts";
export type GnupgVersion = "2.2" | "2.4";

/** Daemon settings of a case (scd-ts: SCD_TS_PIN_POLICY, SCD_TS_POOL_TTL, SCD_TS_HOLD). */
export interface Settings {
  policy: "strict" | "session";
  pool_ms: number;
  hold_ms: number;
}

/**
 * Stock has no policy setting; with `pcsc-shared` it leaves the card verified between
 * operations, which is what scd-ts calls `session`.
 */
export const STOCK_SETTINGS: Settings = { policy: "session", pool_ms: 0, hold_ms: 0 };

/**
 * scd-ts with nothing set: strict policy, no pool, the burst hold of 500 ms (capped by
 * `hold-max`, 2 s): src/scd/reader_settings.ts `READER_DEFAULTS`. Such a group runs with no
 * SCD_TS_* variable at all.
 */
export const SCD_TS_DEFAULTS: Settings = { policy: "strict", pool_ms: 0, hold_ms: 500 };

/** Whether `s` are scd-ts's defaults. */
export function isDefaults(s: { policy: string; pool_ms: number; hold_ms: number }): boolean {
  return s.policy === SCD_TS_DEFAULTS.policy && s.pool_ms === SCD_TS_DEFAULTS.pool_ms &&
    s.hold_ms === SCD_TS_DEFAULTS.hold_ms;
}

/** Raw samples of one case: wall times and APDU counters summed over `runs` operations. */
export interface Measurement {
  config: BenchConfig;
  case: CaseName;
  gnupg: GnupgVersion;
  latency: string;
  daemon: Daemon;
  settings: Settings;
  wallsMs: number[];
  runs: number;
  apdusByIns: Record<string, number>;
}

/** One row of the JSON `cases` array (APDU numbers are per operation). */
export interface CaseResult {
  config: BenchConfig;
  case: CaseName;
  gnupg: GnupgVersion;
  latency: string;
  daemon: Daemon;
  settings: Settings;
  apdus: number;
  transactions: number;
  apdus_by_ins: Record<string, number>;
  wall_ms_p50: number;
  wall_ms_p95: number;
  /** What the latency model charges for the APDUs the protocol needs (floor.ts); null: none. */
  floor_ms: number | null;
}

/** scd-ts p50 / stock p50, keyed `config/gnupg/latency/settings`. */
export type Ratios = Record<string, number>;

/** The whole `--json` object. */
export interface Report {
  machine: Record<string, string | number>;
  versions: Record<string, string>;
  latency_models: string[];
  cases: CaseResult[];
  ratios: {
    warm_sign_vs_stock: Ratios;
    now_and_then_vs_stock: Ratios;
    cold_sign_vs_stock: Ratios;
    card_status_vs_stock: Ratios;
    /** ssh login through gpg-agent: scd-ts p50 / stock p50. */
    ssh_login_vs_stock: Ratios;
    /** ssh login through scd-ts ssh-agent (no gpg-agent) / through gpg-agent + stock. */
    ssh_agent_login_vs_stock: Ratios;
    /** scd-ts two-cards p50 / scd-ts default p50 (same case, gnupg, latency, settings). */
    second_card_vs_one_card: Ratios;
  };
  overhead_ms_p50: number | null;
  start_ms: { main: number | null; bundle: number | null; binary: number | null };
  rss_peak_start_mib: number | null;
  rss_idle_mib: number | null;
  rss_after_signs_mib: number | null;
  signs: number | null;
}

/** SELECT (A4): scd-ts re-selects at the start of each PC/SC transaction. */
export const SELECT_INS = "A4";

/** Turn raw samples into a result row. */
export function caseResult(m: Measurement): CaseResult {
  const byIns = perOperation(m.apdusByIns, m.runs);
  const total = Object.values(m.apdusByIns).reduce((a, b) => a + b, 0);
  const { p50, p95 } = p50p95(m.wallsMs);
  return {
    config: m.config,
    case: m.case,
    gnupg: m.gnupg,
    latency: m.latency,
    daemon: m.daemon,
    settings: { ...m.settings },
    apdus: round(total / Math.max(m.runs, 1), 2),
    transactions: byIns[SELECT_INS] ?? 0,
    apdus_by_ins: byIns,
    wall_ms_p50: p50,
    wall_ms_p95: p95,
    floor_ms: floorMs(m.latency, m.daemon, m.case),
  };
}

/**
 * `defaults`, or `strict`, `strict+pool`, `strict+hold`, `session+pool`: how the settings
 * are shown.
 */
export function settingsLabel(s: { policy: string; pool_ms: number; hold_ms: number }): string {
  if (isDefaults(s)) return "defaults";
  return s.policy + (s.pool_ms > 0 ? "+pool" : "") + (s.hold_ms > 0 ? "+hold" : "");
}

function sameSettings(a: Settings, b: Settings): boolean {
  return a.policy === b.policy && a.pool_ms === b.pool_ms && a.hold_ms === b.hold_ms;
}

/**
 * scd-ts p50 over stock p50 for `name` (stock's row of `stockName`, default the same case),
 * per configuration, gnupg version, latency model and settings.
 */
export function ratiosFor(
  cases: readonly CaseResult[],
  name: CaseName,
  stockName: CaseName = name,
): Ratios {
  const out: Ratios = {};
  for (const c of cases) {
    if (c.case !== name || c.daemon !== "scd-ts") continue;
    const stock = cases.find((s) =>
      s.case === stockName && s.daemon === "stock" && s.config === c.config &&
      s.gnupg === c.gnupg &&
      s.latency === c.latency
    );
    if (stock === undefined || !(stock.wall_ms_p50 > 0)) continue;
    out[`${c.config}/${c.gnupg}/${c.latency}/${settingsLabel(c.settings)}`] = round(
      c.wall_ms_p50 / stock.wall_ms_p50,
      2,
    );
  }
  return out;
}

/**
 * scd-ts's two-cards p50 over its default-configuration p50 (one card), per case, gnupg
 * version, latency model and settings: what the second card costs.
 */
export function secondCardRatios(cases: readonly CaseResult[]): Ratios {
  const out: Ratios = {};
  for (const c of cases) {
    if (c.config !== "two-cards" || c.daemon !== "scd-ts") continue;
    const one = cases.find((s) =>
      s.config === "default" && s.daemon === "scd-ts" && s.case === c.case &&
      s.gnupg === c.gnupg && s.latency === c.latency && sameSettings(s.settings, c.settings)
    );
    if (one === undefined || !(one.wall_ms_p50 > 0)) continue;
    out[`${c.case}/${c.gnupg}/${c.latency}/${settingsLabel(c.settings)}`] = round(
      c.wall_ms_p50 / one.wall_ms_p50,
      2,
    );
  }
  return out;
}

/** What the daemon probes measured (null when not measured). */
export interface DaemonNumbers {
  overheadMsP50: number | null;
  startMs: { main: number | null; bundle: number | null; binary: number | null };
  rssPeakStartMib: number | null;
  rssIdleMib: number | null;
  rssAfterSignsMib: number | null;
  signs: number | null;
}

/** Assemble the `--json` object. */
export function buildReport(
  machine: Report["machine"],
  versions: Report["versions"],
  latencyModels: string[],
  measurements: readonly Measurement[],
  daemon: DaemonNumbers,
): Report {
  const cases = measurements.map(caseResult);
  return {
    machine,
    versions,
    latency_models: [...latencyModels],
    cases,
    ratios: {
      warm_sign_vs_stock: ratiosFor(cases, "warm-sign"),
      now_and_then_vs_stock: ratiosFor(cases, "now-and-then"),
      cold_sign_vs_stock: ratiosFor(cases, "cold-sign"),
      card_status_vs_stock: ratiosFor(cases, "cold-card-status"),
      ssh_login_vs_stock: ratiosFor(cases, "ssh-login"),
      ssh_agent_login_vs_stock: ratiosFor(cases, "ssh-agent-login", "ssh-login"),
      second_card_vs_one_card: secondCardRatios(cases),
    },
    overhead_ms_p50: daemon.overheadMsP50,
    start_ms: { ...daemon.startMs },
    rss_peak_start_mib: daemon.rssPeakStartMib,
    rss_idle_mib: daemon.rssIdleMib,
    rss_after_signs_mib: daemon.rssAfterSignsMib,
    signs: daemon.signs,
  };
}

function insSummary(byIns: Record<string, number>): string {
  return Object.entries(byIns).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([ins, n]) => `${ins}:${n}`).join(" ");
}

function daemonLabel(c: CaseResult): string {
  return c.daemon === "stock" ? "stock" : `scd-ts ${settingsLabel(c.settings)}`;
}

/** `floor (p50 − floor)`, or `-` when the case has no floor. */
function floorCell(c: CaseResult): string {
  if (c.floor_ms === null) return "-";
  return `${c.floor_ms} (${round(c.wall_ms_p50 - c.floor_ms)})`;
}

/** Rows of a fixed-width or Markdown table. */
function caseRows(cases: readonly CaseResult[]): string[][] {
  return cases.map((c) => [
    c.config,
    c.gnupg,
    c.latency,
    daemonLabel(c),
    c.case,
    String(c.wall_ms_p50),
    String(c.wall_ms_p95),
    floorCell(c),
    String(c.apdus),
    String(c.transactions),
    insSummary(c.apdus_by_ins),
  ]);
}

const HEADER = [
  "config",
  "gnupg",
  "latency",
  "daemon",
  "case",
  "p50 ms",
  "p95 ms",
  "floor ms (p50 − floor)",
  "APDUs",
  "SELECTs",
  "by INS",
];

/** The cases as an aligned text table. */
export function formatTable(cases: readonly CaseResult[]): string {
  const rows = [HEADER, ...caseRows(cases)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd())
    .join("\n");
}

/** The cases as a Markdown table. */
export function markdownTable(cases: readonly CaseResult[]): string {
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(HEADER), line(HEADER.map(() => "---")), ...caseRows(cases).map(line)].join("\n");
}

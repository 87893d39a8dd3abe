/**
 * The bench report: one result per (case, gnupg, latency, daemon, settings), the scd-ts vs
 * stock ratios, and the renderings (JSON object, text table, bench/results.md). Pure.
 * @module
 */

import { p50p95, perOperation, round } from "./stats.ts";

/** The measured gpg operations. */
export type CaseName = "cold-card-status" | "cold-sign" | "warm-sign" | "decrypt" | "ssh-auth";
export const CASE_NAMES: readonly CaseName[] = [
  "cold-card-status",
  "cold-sign",
  "warm-sign",
  "decrypt",
  "ssh-auth",
];

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

/** Raw samples of one case: wall times and APDU counters summed over `runs` operations. */
export interface Measurement {
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
}

/** scd-ts p50 / stock p50, keyed `gnupg/latency/policy`. */
export type Ratios = Record<string, number>;

/** The whole `--json` object. */
export interface Report {
  machine: Record<string, string | number>;
  versions: Record<string, string>;
  latency_models: string[];
  cases: CaseResult[];
  ratios: {
    warm_sign_vs_stock: Ratios;
    cold_sign_vs_stock: Ratios;
    card_status_vs_stock: Ratios;
  };
  overhead_ms_p50: number | null;
  start_ms: { main: number | null; bundle: number | null; binary: number | null };
  rss_idle_mib: number | null;
  rss_after_1000_mib: number | null;
}

/** SELECT (A4): scd-ts re-selects at the start of each PC/SC transaction. */
export const SELECT_INS = "A4";

/** Turn raw samples into a result row. */
export function caseResult(m: Measurement): CaseResult {
  const byIns = perOperation(m.apdusByIns, m.runs);
  const total = Object.values(m.apdusByIns).reduce((a, b) => a + b, 0);
  const { p50, p95 } = p50p95(m.wallsMs);
  return {
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
  };
}

/** `strict`, `strict+pool`, `strict+hold`, `session+pool`: how the settings are shown. */
export function settingsLabel(s: { policy: string; pool_ms: number; hold_ms: number }): string {
  return s.policy + (s.pool_ms > 0 ? "+pool" : "") + (s.hold_ms > 0 ? "+hold" : "");
}

/** scd-ts p50 over stock p50 for `name`, per gnupg version, latency model and policy. */
export function ratiosFor(cases: readonly CaseResult[], name: CaseName): Ratios {
  const out: Ratios = {};
  for (const c of cases) {
    if (c.case !== name || c.daemon !== "scd-ts") continue;
    const stock = cases.find((s) =>
      s.case === name && s.daemon === "stock" && s.gnupg === c.gnupg && s.latency === c.latency
    );
    if (stock === undefined || !(stock.wall_ms_p50 > 0)) continue;
    out[`${c.gnupg}/${c.latency}/${settingsLabel(c.settings)}`] = round(
      c.wall_ms_p50 / stock.wall_ms_p50,
      2,
    );
  }
  return out;
}

/** What the daemon probes measured (null when not measured). */
export interface DaemonNumbers {
  overheadMsP50: number | null;
  startMs: { main: number | null; bundle: number | null; binary: number | null };
  rssIdleMib: number | null;
  rssAfter1000Mib: number | null;
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
      cold_sign_vs_stock: ratiosFor(cases, "cold-sign"),
      card_status_vs_stock: ratiosFor(cases, "cold-card-status"),
    },
    overhead_ms_p50: daemon.overheadMsP50,
    start_ms: { ...daemon.startMs },
    rss_idle_mib: daemon.rssIdleMib,
    rss_after_1000_mib: daemon.rssAfter1000Mib,
  };
}

function insSummary(byIns: Record<string, number>): string {
  return Object.entries(byIns).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([ins, n]) => `${ins}:${n}`).join(" ");
}

function daemonLabel(c: CaseResult): string {
  return c.daemon === "stock" ? "stock" : `scd-ts ${settingsLabel(c.settings)}`;
}

/** Rows of a fixed-width or Markdown table. */
function caseRows(cases: readonly CaseResult[]): string[][] {
  return cases.map((c) => [
    c.gnupg,
    c.latency,
    daemonLabel(c),
    c.case,
    String(c.wall_ms_p50),
    String(c.wall_ms_p95),
    String(c.apdus),
    String(c.transactions),
    insSummary(c.apdus_by_ins),
  ]);
}

const HEADER = [
  "gnupg",
  "latency",
  "daemon",
  "case",
  "p50 ms",
  "p95 ms",
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

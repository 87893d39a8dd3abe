import { settingsLabel } from "./report.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  buildReport,
  caseResult,
  formatTable,
  markdownTable,
  type Measurement,
  ratiosFor,
  SCD_TS_DEFAULTS,
  secondCardRatios,
  STOCK_SETTINGS,
} from "./report.ts";
import { summaryTable } from "./results.ts";
import { groupsFor, parseBenchArgs } from "./main.ts";
import { scdTsEnv } from "./cases.ts";

const STRICT = { policy: "strict" as const, pool_ms: 0, hold_ms: 0 };

function m(
  daemon: "stock" | "scd-ts",
  name: Measurement["case"],
  walls: number[],
  config: Measurement["config"] = "default",
): Measurement {
  return {
    config,
    case: name,
    gnupg: "2.2",
    latency: "openpgp34",
    daemon,
    settings: daemon === "stock" ? STOCK_SETTINGS : STRICT,
    wallsMs: walls,
    runs: 2,
    apdusByIns: { A4: 2, "2A": 2, "20": 4 },
  };
}

Deno.test("caseResult() gives per-operation APDUs, SELECTs as transactions, p50/p95", () => {
  assertEquals(caseResult(m("scd-ts", "warm-sign", [100, 200])), {
    config: "default",
    case: "warm-sign",
    gnupg: "2.2",
    latency: "openpgp34",
    daemon: "scd-ts",
    settings: STRICT,
    apdus: 4,
    transactions: 1,
    apdus_by_ins: { A4: 1, "2A": 1, "20": 2 },
    wall_ms_p50: 150,
    wall_ms_p95: 195,
    floor_ms: 200,
  });
});

Deno.test("ratiosFor() divides scd-ts p50 by stock p50 of the same config, gnupg and latency", () => {
  const cases = [
    m("stock", "warm-sign", [100]),
    m("scd-ts", "warm-sign", [250]),
    m("stock", "warm-sign", [50], "pinned"),
    m("scd-ts", "warm-sign", [100], "pinned"),
  ].map(caseResult);
  assertEquals(ratiosFor(cases, "warm-sign"), {
    "default/2.2/openpgp34/strict": 2.5,
    "pinned/2.2/openpgp34/strict": 2,
  });
  assertEquals(ratiosFor(cases, "cold-sign"), {});
});

Deno.test("secondCardRatios() divides scd-ts two-cards p50 by its one-card p50", () => {
  const cases = [
    m("scd-ts", "now-and-then", [200]),
    m("scd-ts", "now-and-then", [210], "two-cards"),
    m("scd-ts", "cold-sign", [500], "two-cards"),
  ].map(caseResult);
  assertEquals(secondCardRatios(cases), { "now-and-then/2.2/openpgp34/strict": 1.05 });
});

Deno.test("summaryTable() puts stock and scd-ts side by side with the floors", () => {
  const cases = [
    m("stock", "now-and-then", [190]),
    m("scd-ts", "now-and-then", [380]),
    m("scd-ts", "cold-sign", [700]),
  ].map(caseResult);
  assertEquals(summaryTable(cases, "default").split("\n").slice(2), [
    "| 2.2 | openpgp34 | cold-sign | n/a | 700 | n/a | - | - | n/a / 4 |",
    "| 2.2 | openpgp34 | now-and-then | 190 | 380 | 2× | 150 / 40 | 200 / 180 | 4 / 4 |",
  ]);
  assertEquals(summaryTable(cases, "pinned").split("\n").length, 2);
});

Deno.test("buildReport() has exactly the documented keys", () => {
  const r = buildReport({ cpu: "x" }, { deno: "2" }, ["openpgp34"], [
    m("stock", "cold-sign", [1000]),
    m("scd-ts", "cold-sign", [900]),
  ], {
    overheadMsP50: 5,
    startMs: { main: 180, bundle: 170, binary: null },
    rssPeakStartMib: 55,
    rssIdleMib: 60,
    rssAfterSignsMib: 70,
    signs: 5000,
  });
  assertEquals(Object.keys(r), [
    "machine",
    "versions",
    "latency_models",
    "cases",
    "ratios",
    "overhead_ms_p50",
    "start_ms",
    "rss_peak_start_mib",
    "rss_idle_mib",
    "rss_after_signs_mib",
    "signs",
  ]);
  assertEquals(Object.keys(r.cases[0]!), [
    "config",
    "case",
    "gnupg",
    "latency",
    "daemon",
    "settings",
    "apdus",
    "transactions",
    "apdus_by_ins",
    "wall_ms_p50",
    "wall_ms_p95",
    "floor_ms",
  ]);
  assertEquals(r.ratios, {
    warm_sign_vs_stock: {},
    now_and_then_vs_stock: {},
    cold_sign_vs_stock: { "default/2.2/openpgp34/strict": 0.9 },
    card_status_vs_stock: {},
    ssh_login_vs_stock: {},
    ssh_agent_login_vs_stock: {},
    second_card_vs_one_card: {},
  });
  assertEquals(r.start_ms, { main: 180, bundle: 170, binary: null });
});

Deno.test("ratiosFor(): the ssh-agent login against stock's login through gpg-agent", () => {
  const cases = [
    m("stock", "ssh-login", [200]),
    m("scd-ts", "ssh-login", [220]),
    m("scd-ts", "ssh-agent-login", [180]),
  ].map(caseResult);
  assertEquals(ratiosFor(cases, "ssh-agent-login", "ssh-login"), {
    "default/2.2/openpgp34/strict": 0.9,
  });
  assertEquals(ratiosFor(cases, "ssh-login"), { "default/2.2/openpgp34/strict": 1.1 });
  assertEquals(ratiosFor(cases, "ssh-agent-login"), {});
});

Deno.test("formatTable() and markdownTable() have one row per case", () => {
  const cases = [m("stock", "decrypt", [10]), m("scd-ts", "decrypt", [20])].map(caseResult);
  assertEquals(formatTable(cases).split("\n").length, 3);
  assertEquals(markdownTable(cases).split("\n").length, 4);
  assertEquals(
    markdownTable(cases).split("\n")[3],
    "| default | 2.2 | openpgp34 | scd-ts strict | decrypt | 20 | 20 | 200 (-180) | 4 | 1 | 20:2 2A:1 A4:1 |",
  );
});

Deno.test("parseBenchArgs() defaults, --quick and lists", () => {
  const d = parseBenchArgs([]);
  assertEquals([d.gnupg, d.latencies, d.configs, d.signs], [
    ["2.2"],
    ["openpgp34", "nitrokey3"],
    ["default", "two-cards", "pinned"],
    5000,
  ]);
  assertEquals(d.counts, { cold: 3, warm: 20, repeat: 5, sparse: 5, gapMs: 3000 });
  const q = parseBenchArgs(["--quick", "--gnupg", "2.2,2.4", "--json"]);
  assertEquals([q.gnupg, q.latencies, q.counts.warm, q.json], [
    ["2.2", "2.4"],
    ["openpgp34"],
    5,
    true,
  ]);
  assertEquals(parseBenchArgs(["--count", "7"]).counts.warm, 7);
  assertEquals(parseBenchArgs(["--gap", "4000"]).counts.gapMs, 4000);
  assertEquals(parseBenchArgs(["--config", "pinned,default"]).configs, ["default", "pinned"]);
});

Deno.test("groupsFor() runs the default configuration first; no stock 2.2 two-cards", () => {
  const label = (g: ReturnType<typeof groupsFor>[number]) =>
    `${g.config}/${g.daemon}/${settingsLabel(g.settings)}`;
  assertEquals(groupsFor(["openpgp34"], "2.2").map(label), [
    "default/stock/session",
    "default/scd-ts/defaults",
    "two-cards/scd-ts/defaults",
    "pinned/stock/session",
    "pinned/scd-ts/defaults",
  ]);
  assertEquals(groupsFor(["openpgp34"], "2.4", ["two-cards"]).map(label), [
    "two-cards/stock/session",
    "two-cards/scd-ts/defaults",
  ]);
});

Deno.test("scdTsEnv() sets nothing for the defaults, every option otherwise", () => {
  assertEquals(scdTsEnv(SCD_TS_DEFAULTS), {});
  assertEquals(scdTsEnv(STRICT), {
    SCD_TS_PIN_POLICY: "strict",
    SCD_TS_POOL_TTL: "0ms",
    SCD_TS_HOLD: "0ms",
  });
});

import { settingsLabel } from "./report.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import {
  buildReport,
  caseResult,
  formatTable,
  markdownTable,
  type Measurement,
  ratiosFor,
  STOCK_SETTINGS,
} from "./report.ts";
import { groupsFor, parseBenchArgs } from "./main.ts";

const STRICT = { policy: "strict" as const, pool_ms: 0, hold_ms: 0 };

function m(daemon: "stock" | "scd-ts", name: Measurement["case"], walls: number[]): Measurement {
  return {
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
  });
});

Deno.test("ratiosFor() divides scd-ts p50 by stock p50 of the same gnupg and latency", () => {
  const cases = [m("stock", "warm-sign", [100]), m("scd-ts", "warm-sign", [250])].map(caseResult);
  assertEquals(ratiosFor(cases, "warm-sign"), { "2.2/openpgp34/strict": 2.5 });
  assertEquals(ratiosFor(cases, "cold-sign"), {});
});

Deno.test("buildReport() has exactly the documented keys", () => {
  const r = buildReport({ cpu: "x" }, { deno: "2" }, ["openpgp34"], [
    m("stock", "cold-sign", [1000]),
    m("scd-ts", "cold-sign", [900]),
  ], {
    overheadMsP50: 5,
    startMs: { main: 180, bundle: 170, binary: null },
    rssIdleMib: 60,
    rssAfter1000Mib: 70,
  });
  assertEquals(Object.keys(r), [
    "machine",
    "versions",
    "latency_models",
    "cases",
    "ratios",
    "overhead_ms_p50",
    "start_ms",
    "rss_idle_mib",
    "rss_after_1000_mib",
  ]);
  assertEquals(Object.keys(r.cases[0]!), [
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
  ]);
  assertEquals(r.ratios, {
    warm_sign_vs_stock: {},
    cold_sign_vs_stock: { "2.2/openpgp34/strict": 0.9 },
    card_status_vs_stock: {},
  });
  assertEquals(r.start_ms, { main: 180, bundle: 170, binary: null });
});

Deno.test("formatTable() and markdownTable() have one row per case", () => {
  const cases = [m("stock", "decrypt", [10]), m("scd-ts", "decrypt", [20])].map(caseResult);
  assertEquals(formatTable(cases).split("\n").length, 3);
  assertEquals(markdownTable(cases).split("\n").length, 4);
  assertEquals(
    markdownTable(cases).split("\n")[3],
    "| 2.2 | openpgp34 | scd-ts strict | decrypt | 20 | 20 | 4 | 1 | 20:2 2A:1 A4:1 |",
  );
});

Deno.test("parseBenchArgs() defaults, --quick and lists", () => {
  const d = parseBenchArgs([]);
  assertEquals([d.gnupg, d.latencies, d.counts], [["2.2"], ["openpgp34", "nitrokey3"], {
    cold: 3,
    warm: 20,
    repeat: 5,
  }]);
  const q = parseBenchArgs(["--quick", "--gnupg", "2.2,2.4", "--json"]);
  assertEquals([q.gnupg, q.latencies, q.counts.warm, q.json], [
    ["2.2", "2.4"],
    ["openpgp34"],
    5,
    true,
  ]);
  assertEquals(parseBenchArgs(["--count", "7"]).counts.warm, 7);
  assertEquals(groupsFor(["openpgp34"]).map((g) => `${g.daemon}/${settingsLabel(g.settings)}`), [
    "stock/session",
    "scd-ts/strict",
    "scd-ts/strict+pool",
    "scd-ts/strict+hold",
    "scd-ts/session+pool",
  ]);
});

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { CapturedWorkflow } from "./capture_format.ts";
import { ALLOWLIST } from "./allowlist.ts";
import { type AllowEntry, compareWorkflow, countByClass, diffLines } from "./classify.ts";
import { normalizeTrace } from "./normalize.ts";

/** A clearsign as stock 2.2.40 logged it (trimmed), and the same as scd-ts's trace. */
const STOCK = [
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 <- SERIALNO --demand=D276000124010304FFFE5C0000010000",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> S SERIALNO D276000124010304FFFE5C0000010000",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> OK",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 <- GETINFO version",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> D 2.2.40",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> OK",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 <- SETDATA 3051300D060960864801650304020305000440E71B02FC72BC096D42002DCB46F3",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> OK",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 <- PKSIGN --hash=sha512 5E7AABE33CFC622518F258A928FBEB8352881B05",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> [[Confidential data not shown]]",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 <- [[Confidential data not shown]]",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 <- [[Confidential data not shown]]",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> [ 44 20 27 37 28 d9 ae a8 4f e0 e8 f3 49 02 fe 21 ...(246 byte(s) skipped) ]",
  "2026-12-01 23:15:27 scdaemon[16356] DBG: chan_7 -> OK",
];
const SCD_TS = [
  "3 <- SERIALNO --demand=D276000124010304FFFE5C0000010000",
  "3 -> S SERIALNO D276000124010304FFFE5C0000010000",
  "3 -> OK",
  "3 <- GETINFO version",
  "3 -> D 2.2.40", // the version of the gpg-agent that started it, like stock
  "3 -> OK",
  "3 <- SETDATA 3051300D06096086480165030402030500044012AB02FC72BC096D42002DCB46F3",
  "3 -> OK",
  "3 <- PKSIGN --hash=sha512 0A7AABE33CFC622518F258A928FBEB8352881B05",
  "3 -> INQUIRE NEEDPIN ||Please unlock the card%0A%0ANumber: FFFE 5C000001%0AHolder: ",
  "3 <- [redacted 12 bytes]",
  "3 <- END",
  "3 -> D \x01\x02\x93random signature bytes\xff",
  "3 -> OK Pin cached",
];

function capture(daemon: string, assuan: string[], gnupg = "2.2"): CapturedWorkflow {
  return {
    workflow: "clearsign",
    test: "t",
    gnupg,
    daemon,
    serial: "5C000001",
    assuan,
    apdus: { total: 2, byIns: { "2A": { count: 1, bytesIn: 300, bytesOut: 258 } } },
    prompts: [],
  };
}

Deno.test("the same clearsign from both daemons normalizes to the same lines", () => {
  assertEquals(normalizeTrace(STOCK).filter((l) => !l.includes("D 2.")), [
    "<- SERIALNO --demand=D276000124010304FFFE5C0000010000",
    "-> S SERIALNO D276000124010304FFFE5C0000010000",
    "-> OK",
    "<- GETINFO version",
    "-> OK",
    "<- SETDATA <HEX>",
    "-> OK",
    "<- PKSIGN --hash=sha512 <HEX>",
    "-> <confidential>",
    "<- <confidential>",
    "-> D <binary>",
    "-> OK",
  ]);
  const r = compareWorkflow(capture("stock", STOCK), capture("scd-ts", SCD_TS), ALLOWLIST);
  assertEquals(countByClass(r), { "load-bearing": 0, advisory: 0, intentional: 0 });
  // a version below stock's is what makes gpg warn (server_version_mismatch): load-bearing
  const older = SCD_TS.map((l) => l === "3 -> D 2.2.40" ? "3 -> D 2.2.39" : l);
  const o = compareWorkflow(capture("stock", STOCK), capture("scd-ts", older), ALLOWLIST);
  assertEquals(o.deltas.filter((d) => d.class === "load-bearing").map((d) => d.line), [
    "-> D 2.2.40",
    "-> D 2.2.39",
  ]);
});

Deno.test("an allowlist entry for gnupg 2.4 covers 2.4.9 too, one for 2.4.9 only that", () => {
  const withLine = (l: string) => SCD_TS.concat([`3 -> S ${l}`]);
  const allow: AllowEntry[] = [
    { kind: "extra", pattern: /-> S A/, gnupg: "2.4", class: "advisory", reason: "a" },
    { kind: "extra", pattern: /-> S B/, gnupg: "2.4.9", class: "advisory", reason: "b" },
  ];
  const classes = (line: string, gnupg: string) =>
    compareWorkflow(capture("stock", STOCK, gnupg), capture("scd-ts", withLine(line), gnupg), allow)
      .deltas.filter((d) => d.line.startsWith("-> S ")).map((d) => d.class);
  assertEquals(classes("A", "2.4"), ["advisory"]);
  assertEquals(classes("A", "2.4.9"), ["advisory"]);
  assertEquals(classes("A", "2.2"), ["load-bearing"]);
  assertEquals(classes("B", "2.4.9"), ["advisory"]);
  assertEquals(classes("B", "2.4"), ["load-bearing"]);
});

Deno.test("a doctored scd-ts trace is a load-bearing delta", () => {
  // scd-ts "forgets" the S SERIALNO line gpg-agent reads the card's serial number from
  const doctored = SCD_TS.filter((l) => !l.startsWith("3 -> S SERIALNO"));
  const r = compareWorkflow(capture("stock", STOCK), capture("scd-ts", doctored), ALLOWLIST);
  assertEquals(countByClass(r)["load-bearing"], 1);
  assertEquals(
    r.deltas.find((d) => d.class === "load-bearing")?.line,
    "-> S SERIALNO " +
      "D276000124010304FFFE5C0000010000",
  );
  // and an error instead of the signature: two load-bearing lines (missing D, extra ERR)
  const failing = SCD_TS.slice(0, -2).concat(["3 -> ERR 100663383 Bad PIN <SCD>"]);
  const f = compareWorkflow(capture("stock", STOCK), capture("scd-ts", failing), ALLOWLIST);
  assertEquals(
    f.deltas.filter((d) => d.class === "load-bearing").map((d) => `${d.kind} ${d.line}`),
    ["missing -> D <binary>", "missing -> OK", "extra -> ERR 100663383"],
  );
});

Deno.test("a workflow captured for one daemon only, or APDUs off the allowlist, fail", () => {
  const only = compareWorkflow(capture("stock", STOCK), undefined, ALLOWLIST);
  assertEquals(only.deltas.map((d) => d.class), ["load-bearing"]);
  const more = capture("scd-ts", SCD_TS);
  more.apdus.byIns["2A"]!.count = 2;
  const r = compareWorkflow(capture("stock", STOCK), more, ALLOWLIST);
  assertEquals(r.deltas.filter((d) => d.class === "load-bearing").map((d) => d.line), [
    "INS 2A: 1 vs 2",
  ]);
});

Deno.test("diffLines keeps the common subsequence", () => {
  assertEquals(diffLines(["a", "b", "c", "d"], ["a", "c", "x", "d"]), {
    onlyA: ["b"],
    onlyB: ["x"],
  });
});

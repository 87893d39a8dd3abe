/**
 * bench/results.md: machine, versions, the default configuration first (a summary of stock
 * vs scd-ts with the card-time floor, then every row), the two-cards and pinned
 * configurations, the ratios, the daemon numbers and the date, written after every run.
 * @module
 */

import type { ProbeNumbers } from "./probes.ts";
import {
  type BenchConfig,
  CASE_NAMES,
  type CaseResult,
  markdownTable,
  type Report,
  settingsLabel,
} from "./report.ts";
import { round } from "./stats.ts";

export const RESULTS_PATH = new URL("./results.md", import.meta.url).pathname;

function kv(record: Record<string, string | number>): string {
  return Object.entries(record).map(([k, v]) => `- ${k}: ${v}`).join("\n");
}

function ratioLines(report: Report): string {
  const lines: string[] = [];
  for (const [name, ratios] of Object.entries(report.ratios)) {
    const cells = Object.entries(ratios).map(([k, r]) => `${k} ${r}`).join(", ");
    lines.push(`- ${name}: ${cells || "n/a"}`);
  }
  return lines.join("\n");
}

/**
 * One line per (gnupg, latency, case) of `config`: stock p50, scd-ts p50 (its first
 * settings), the ratio, and each one's floor with what is left above it.
 */
export function summaryTable(cases: readonly CaseResult[], config: BenchConfig): string {
  const rows: string[][] = [];
  const of = cases.filter((c) => c.config === config);
  const keys = [...new Set(of.map((c) => `${c.gnupg}|${c.latency}`))];
  for (const key of keys) {
    const [gnupg, latency] = key.split("|");
    for (const name of CASE_NAMES) {
      const pick = (d: string) =>
        of.find((c) =>
          c.gnupg === gnupg && c.latency === latency && c.case === name && c.daemon === d
        );
      const stock = pick("stock");
      const ts = pick("scd-ts");
      if (ts === undefined && stock === undefined) continue;
      const ms = (c: CaseResult | undefined) => c === undefined ? "n/a" : String(c.wall_ms_p50);
      const floor = (c: CaseResult | undefined) =>
        c?.floor_ms == null ? "-" : `${c.floor_ms} / ${round(c.wall_ms_p50 - c.floor_ms)}`;
      const ratio = stock !== undefined && ts !== undefined && stock.wall_ms_p50 > 0
        ? `${round(ts.wall_ms_p50 / stock.wall_ms_p50, 2)}×`
        : "n/a";
      const apdus = (c: CaseResult | undefined) => c === undefined ? "n/a" : String(c.apdus);
      rows.push([
        gnupg!,
        latency!,
        name,
        ms(stock),
        ms(ts),
        ratio,
        floor(stock),
        floor(ts),
        `${apdus(stock)} / ${apdus(ts)}`,
      ]);
    }
  }
  const header = [
    "gnupg",
    "latency",
    "case",
    "stock p50 ms",
    "scd-ts p50 ms",
    "scd-ts / stock",
    "stock floor / above",
    "scd-ts floor / above",
    "APDUs stock / scd-ts",
  ];
  const line = (r: string[]) => `| ${r.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function section(report: Report, config: BenchConfig, title: string, intro: string): string {
  const rows = report.cases.filter((c) => c.config === config);
  if (rows.length === 0) return "";
  const labels = [...new Set(rows.filter((c) => c.daemon === "scd-ts").map((c) => c.settings))]
    .map(settingsLabel);
  return `## ${title}

${intro} scd-ts settings: ${[...new Set(labels)].join(", ") || "n/a"}.

${summaryTable(report.cases, config)}

<details><summary>every row (p95, APDUs by INS)</summary>

${markdownTable(rows)}

</details>
`;
}

/** Issue 18's start-up and memory targets, beside what was measured. */
function probeLines(p: ProbeNumbers | undefined): string {
  if (p === undefined) return "not measured (--no-probes, or gnupg 2.2 not in the run)";
  const vs = (x: number, target: number) => `${x <= target ? "meets" : "misses"} ≤ ${target}`;
  return [
    `- the bed itself, zero-latency card: one APDU through libpcsclite/pcscd/vpcd ${p.transport.apduMs}` +
    ` ms, one connect + transaction + disconnect ${p.transport.openMs} ms (p50); every APDU in` +
    " the tables above costs this on top of the latency model",
    `- start to Assuan greeting over \`--server\` (p50): main.ts ${p.startMs.main} ms, bundle` +
    ` ${p.startMs.bundle} ms (${vs(p.startMs.bundle, 40)} ms), stock scdaemon ${p.startMs.stock}` +
    " ms, binary n/a (deno compile cannot fetch denort here)",
    `- scd-ts peak RSS at start (VmHWM a second after the greeting): ${p.rssPeakStartMib} MiB` +
    ` (${vs(p.rssPeakStartMib, 40)} MiB); resident ${p.rssIdleMib} MiB idle`,
    `- scd-ts resident after ${p.signs} PKSIGNs: ${p.rssAfterMib} MiB (${
      vs(p.rssAfterMib, 50)
    } MiB${p.signs === 5000 ? "" : `, target stated for 5000 PKSIGNs`})`,
    `- PKSIGN over Assuan, zero-latency card (daemon + pcscd/vpcd, no gpg): scd-ts p50` +
    ` ${p.scdTsSignMs.p50} ms / p95 ${p.scdTsSignMs.p95} ms; stock p50 ${p.stockSignMs.p50} ms /` +
    ` p95 ${p.stockSignMs.p95} ms`,
    `- Assuan line reader, in process, 1 MiB in 64 KiB chunks (p50): empty lines` +
    ` ${p.lineReader.newlinesMs} ms, \`NOP\` lines ${p.lineReader.nopsMs} ms`,
  ].join("\n");
}

/** The whole Markdown document. */
export function resultsMarkdown(
  report: Report,
  probes: ProbeNumbers | undefined,
  run: { date: Date; args: string[]; quick: boolean; gapMs: number },
): string {
  return `# scd-ts bench results

Measured ${run.date.toISOString()} with \`deno task bench ${run.args.join(" ")}\`${
    run.quick ? " (quick: small counts)" : ""
  } on the machine and commit below. How to read this: docs/bench.md.

Wall time is one tool process (gpg or ssh-keygen) including gpg-agent's work; cold cases
start gpg-agent and the daemon afresh; now-and-then is a warm signature after ${run.gapMs} ms
idle (longer than scd-ts's burst hold). "stock" runs with \`pcsc-shared\` and keeps the card
verified between operations. The floor is what the card's latency model charges for the
APDUs the protocol needs (stock: PSO; scd-ts strict: SELECT, GET DATA 4F, VERIFY, PSO,
VERIFY FF, VERIFY status; bench/floor.ts); "above" is p50 minus the floor: gpg, gpg-agent,
the daemon and the bed's transport. A negative "above" means the operations ran inside
scd-ts's burst hold, where each needs only the PSO. Cold cases have no floor (-).

${
    section(
      report,
      "default",
      "Default configuration: nothing pinned, the second reader empty",
      "Neither daemon has a reader configured; the bed's pcscd has two vpcd readers, the card" +
        " in the first, the second empty.",
    )
  }
${
    section(
      report,
      "two-cards",
      "Two cards: the key on the card in the second reader",
      "Nothing pinned; an OpenPGP card without keys in the first reader, the card with the keys" +
        " in the second. Stock 2.2 cannot use the second card without `reader-port` (it opens" +
        " only the first reader; docs/multi-card.md), so it has no row here.",
    )
  }
${
    section(
      report,
      "pinned",
      "Reader pinned (the bench's configuration before issue 18, for comparison)",
      "Stock's `reader-port` and scd-ts's `reader` name the card's reader.",
    )
  }
## Ratios (p50)

${ratioLines(report)}

## Daemon alone (gnupg 2.2 host bed, default configuration)

${probeLines(probes)}

## Machine

${kv(report.machine)}

## Versions

${kv(report.versions)}
`;
}

/** Write the results (bench/results.md unless told otherwise); returns the path. */
export async function writeResults(
  path: string,
  report: Report,
  probes: ProbeNumbers | undefined,
  run: { date: Date; args: string[]; quick: boolean; gapMs: number },
): Promise<string> {
  await Deno.writeTextFile(path, resultsMarkdown(report, probes, run));
  return path;
}

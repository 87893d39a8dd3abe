/**
 * bench/results.md: machine, versions, the table, the daemon numbers and the date, written
 * after every run.
 * @module
 */

import type { ProbeNumbers } from "./probes.ts";
import { markdownTable, type Report } from "./report.ts";

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

function probeLines(p: ProbeNumbers | undefined): string {
  if (p === undefined) return "not measured (--no-probes, or gnupg 2.2 not in the run)";
  return [
    `- the bed itself, zero-latency card: one APDU through libpcsclite/pcscd/vpcd ${p.transport.apduMs}` +
    ` ms, one connect + transaction + disconnect ${p.transport.openMs} ms (p50); every APDU in` +
    " the tables above costs this on top of the latency model",
    `- start to Assuan greeting (p50): main.ts ${p.startMs.main} ms, bundle ${p.startMs.bundle} ms,` +
    ` stock scdaemon ${p.startMs.stock} ms, binary n/a (deno compile cannot fetch denort here)`,
    `- scd-ts RSS: ${p.rssIdleMib} MiB idle after start, ${p.rssAfterMib} MiB after ${p.signs} PKSIGNs`,
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
  run: { date: Date; args: string[]; quick: boolean },
): string {
  return `# scd-ts bench results

Measured ${run.date.toISOString()} with \`deno task bench ${run.args.join(" ")}\`${
    run.quick ? " (quick: small counts)" : ""
  }. How to read this: docs/bench.md.

## Machine

${kv(report.machine)}

## Versions

${kv(report.versions)}

## gpg workflows

Wall time is one tool process (gpg or ssh-keygen) including gpg-agent's work; cold cases
start gpg-agent and the daemon afresh. APDUs and SELECTs are per operation, from the virtual
card's log. SELECTs stand for PC/SC transactions: scd-ts re-selects the OpenPGP application
at the start of each transaction (stock selects only when it opens the card). "stock" runs
with \`pcsc-shared\` and keeps the card verified between operations (like scd-ts \`session\`).

${markdownTable(report.cases)}

## scd-ts / stock (p50)

${ratioLines(report)}

## Daemon alone

${probeLines(probes)}
`;
}

/** Write the results (bench/results.md unless told otherwise); returns the path. */
export async function writeResults(
  path: string,
  report: Report,
  probes: ProbeNumbers | undefined,
  run: { date: Date; args: string[]; quick: boolean },
): Promise<string> {
  await Deno.writeTextFile(path, resultsMarkdown(report, probes, run));
  return path;
}

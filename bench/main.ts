/**
 * `deno task bench`: stock scdaemon (pcsc-shared) vs scd-ts on the virtual card behind real
 * pcscd, in one run. Prints a table (or `--json`, one object) and writes bench/results.md.
 * Not run by CI. See docs/bench.md.
 * @module
 */

import { parseArgs } from "node:util";
import {
  type BenchBed,
  closeBed,
  dropTemplate,
  makeTemplate,
  openBed,
  type Template,
} from "./bed.ts";
import { type Counts, describe, type Group, runGroup } from "./cases.ts";
import { collectMachine, collectVersions } from "./machine.ts";
import { probeDaemons, type ProbeNumbers } from "./probes.ts";
import {
  type BenchConfig,
  buildReport,
  CONFIGS,
  type GnupgVersion,
  type Measurement,
  SCD_TS_DEFAULTS,
  STOCK_SETTINGS,
} from "./report.ts";
import { RESULTS_PATH, writeResults } from "./results.ts";
import { formatTable } from "./report.ts";

const USAGE = `Usage: deno task bench [options]

  --json              print one JSON object on stdout (progress goes to stderr)
  --count N           warm signs in a row (default 20)
  --gap MS            idle time before each now-and-then sign (default 3000)
  --gnupg LIST        gnupg versions, 2.2 (host) and/or 2.4 (chroot) (default 2.2)
  --latency LIST      card latency models (default openpgp34,nitrokey3)
  --config LIST       default, two-cards, pinned (default all three, in that order)
  --signs N           PKSIGNs over Assuan for the RSS probe (default 5000)
  --quick             small counts, one latency model (openpgp34), for trying it
  --no-probes         skip start time / RSS / Assuan sign numbers
  --out FILE          where to write the Markdown results (default bench/results.md)
  -h, --help          this help`;

/** Parsed options. */
export interface BenchOptions {
  json: boolean;
  gnupg: GnupgVersion[];
  latencies: string[];
  configs: BenchConfig[];
  counts: Counts;
  signs: number;
  probes: boolean;
  quick: boolean;
  out: string;
  help: boolean;
}

/** Parse the command line. */
export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      json: { type: "boolean", default: false },
      count: { type: "string" },
      gap: { type: "string", default: "3000" },
      gnupg: { type: "string", default: "2.2" },
      latency: { type: "string" },
      config: { type: "string", default: CONFIGS.join(",") },
      signs: { type: "string" },
      quick: { type: "boolean", default: false },
      "no-probes": { type: "boolean", default: false },
      out: { type: "string", default: RESULTS_PATH },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const gnupg = values.gnupg.split(",").map((v) => v.trim());
  for (const v of gnupg) if (v !== "2.2" && v !== "2.4") throw new Error(`Cannot use --gnupg ${v}`);
  const quick = values.quick;
  const count = values.count === undefined ? (quick ? 5 : 20) : Number(values.count);
  if (!Number.isInteger(count) || count < 1) throw new Error(`Cannot use --count ${values.count}`);
  const latencies = (values.latency ?? (quick ? "openpgp34" : "openpgp34,nitrokey3"))
    .split(",").map((v) => v.trim()).filter((v) => v !== "");
  const gapMs = Number(values.gap);
  if (!Number.isInteger(gapMs) || gapMs < 0) throw new Error(`Cannot use --gap ${values.gap}`);
  const signs = values.signs === undefined ? (quick ? 500 : 5000) : Number(values.signs);
  if (!Number.isInteger(signs) || signs < 1) throw new Error(`Cannot use --signs ${values.signs}`);
  const configs = values.config.split(",").map((v) => v.trim());
  for (const c of configs) {
    if (!(CONFIGS as readonly string[]).includes(c)) throw new Error(`Cannot use --config ${c}`);
  }
  return {
    json: values.json,
    gnupg: gnupg as GnupgVersion[],
    latencies,
    configs: CONFIGS.filter((c) => configs.includes(c)),
    counts: {
      cold: quick ? 1 : 3,
      warm: count,
      repeat: quick ? 2 : 5,
      sparse: quick ? 3 : 5,
      gapMs,
    },
    signs,
    probes: !values["no-probes"],
    quick,
    out: values.out,
    help: values.help,
  };
}

/**
 * The groups of one gnupg version: per configuration (default first) and latency model,
 * stock (`pcsc-shared`) and scd-ts with its defaults. Stock 2.2 has no two-cards group: it
 * opens only the first reader without `reader-port`, so the key on the second card cannot be
 * used at all (docs/multi-card.md).
 */
export function groupsFor(
  latencies: string[],
  version: GnupgVersion,
  configs: readonly BenchConfig[] = CONFIGS,
): Group[] {
  return configs.flatMap((config) =>
    latencies.flatMap((latency) => [
      ...(config === "two-cards" && version === "2.2"
        ? []
        : [{ config, daemon: "stock" as const, settings: STOCK_SETTINGS, latency }]),
      { config, daemon: "scd-ts" as const, settings: SCD_TS_DEFAULTS, latency },
    ])
  );
}

const t0 = performance.now();
const progress = (s: string) =>
  console.error(`bench: [${Math.round((performance.now() - t0) / 1000)}s] ${s}`);

/** One gnupg version: template, every group, and (on the host) the daemon probes. */
async function runVersion(
  version: GnupgVersion,
  o: BenchOptions,
  serial: string,
): Promise<{ measurements: Measurement[]; probes?: ProbeNumbers }> {
  const b: BenchBed = await openBed(version, progress);
  let t: Template | undefined;
  try {
    progress(
      `gnupg ${version}: generating keys on card ${serial} (both slots held, card in ${b.reader})`,
    );
    t = await makeTemplate(b, serial);
    const measurements: Measurement[] = [];
    for (const g of groupsFor(o.latencies, version, o.configs)) {
      progress(`gnupg ${version}: ${describe(g)}`);
      measurements.push(...await runGroup(b, t, g, o.counts));
    }
    if (version !== "2.2" || !o.probes) return { measurements };
    progress("daemon probes: start time, RSS, Assuan signs");
    try {
      const probes = await probeDaemons(b, t, {
        startRuns: o.quick ? 5 : 15,
        signs: o.signs,
        stockSigns: o.quick ? 50 : 200,
      });
      return { measurements, probes };
    } catch (e) {
      // keep the gpg numbers: the probes are the last and longest step
      progress(`daemon probes failed, reported as null: ${(e as Error).message}`);
      return { measurements };
    }
  } finally {
    if (t !== undefined) await dropTemplate(t);
    await closeBed(b);
  }
}

async function main(args: string[]): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseBenchArgs(args);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const started = new Date();
  const measurements: Measurement[] = [];
  let probes: ProbeNumbers | undefined;
  for (const [i, version] of o.gnupg.entries()) {
    const r = await runVersion(version, o, `BE0C000${i + 1}`);
    measurements.push(...r.measurements);
    probes ??= r.probes;
  }
  // the bed's own per-APDU cost belongs to the machine the numbers were taken on
  const bedCost = probes === undefined ? {} : {
    bed_apdu_ms: probes.transport.apduMs,
    bed_connect_transaction_ms: probes.transport.openMs,
  };
  const report = buildReport(
    { ...await collectMachine(), ...bedCost },
    await collectVersions(o.gnupg),
    o.latencies,
    measurements,
    {
      overheadMsP50: probes?.scdTsSignMs.p50 ?? null,
      startMs: {
        main: probes?.startMs.main ?? null,
        bundle: probes?.startMs.bundle ?? null,
        binary: null,
      },
      rssPeakStartMib: probes?.rssPeakStartMib ?? null,
      rssIdleMib: probes?.rssIdleMib ?? null,
      rssAfterSignsMib: probes?.rssAfterMib ?? null,
      signs: probes?.signs ?? null,
    },
  );
  const path = await writeResults(o.out, report, probes, {
    date: started,
    args,
    quick: o.quick,
    gapMs: o.counts.gapMs,
  });
  if (o.json) console.log(JSON.stringify(report));
  else console.log(`${formatTable(report.cases)}\n\n(written to ${path})`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * Daemon-level numbers, without gpg, in the default configuration (nothing pinned, the
 * second reader empty): time from start to the Assuan greeting (main.ts, the bundle, stock
 * scdaemon), scd-ts's peak RSS at start, its RSS idle and after many signs, and the time per
 * PKSIGN over Assuan with a zero-latency card (the daemon's own cost plus pcscd/vpcd
 * transport), and the Assuan line reader on 1 MiB of short lines.
 * @module
 */

import { withCard } from "../src/pcsc/mod.ts";
import { fromHex } from "../src/util/bytes.ts";
import { STOCK_SCDAEMON } from "../tests/bed/gnupg.ts";
import { REPO_ROOT } from "../tests/bed/vcard.ts";
import { AssuanChild } from "./assuan.ts";
import { lineReaderMs, type LineReaderNumbers } from "./line_reader.ts";
import { type BenchBed, benchCard, benchHome, type Template, USER_PIN } from "./bed.ts";
import { p50p95, percentile, round } from "./stats.ts";

const DENO = Deno.execPath();
const MAIN = `${REPO_ROOT}/main.ts`;
export const BUNDLE = `${REPO_ROOT}/dist/scd-ts.js`;

/** How to start one daemon as `--server` (with `--homedir`). */
interface DaemonCommand {
  cmd: string;
  args: string[];
  env: Record<string, string>;
}

/** scd-ts as gpg-agent's wrapper starts it: no reader pinned, nothing set but the log level. */
function scdTs(entry: string, home: string): DaemonCommand {
  return {
    cmd: DENO,
    args: ["run", "-A", "--quiet", entry, "--server", "--homedir", home],
    env: { SCD_TS_LOG_LEVEL: "error", NO_COLOR: "1" },
  };
}

/** A `/proc/PID/status` size field (VmRSS, VmHWM) in MiB. */
export function statusMib(pid: number, field: "VmRSS" | "VmHWM"): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status)?.[1] ?? NaN);
  return round(kb / 1024);
}

function stock(home: string): DaemonCommand {
  return { cmd: STOCK_SCDAEMON, args: ["--server", "--homedir", home], env: {} };
}

/** Build dist/scd-ts.js as `deno task bundle` does. */
export async function bundle(): Promise<void> {
  const r = await new Deno.Command(DENO, {
    args: ["bundle", "--quiet", "--platform=deno", "-o", BUNDLE, MAIN],
    cwd: REPO_ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (r.code !== 0) throw new Error(`Cannot bundle: ${new TextDecoder().decode(r.stderr)}`);
}

/** p50 of `runs` start-to-greeting times in ms. */
export async function startMs(d: DaemonCommand, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const child = AssuanChild.spawn(d.cmd, d.args, d.env);
    try {
      await child.greeting();
      times.push(performance.now() - start);
    } finally {
      await child.close();
    }
  }
  return round(percentile(times, 50));
}

/** Answers INQUIRE NEEDPIN with the user PIN; as gpg-agent, with a trailing NUL (%00). */
const needPin = (inquire: string) => inquire.startsWith("NEEDPIN") ? [`${USER_PIN}%00`] : [];

/**
 * `count` SETDATA + PKSIGN on OPENPGP.1; returns each successful PKSIGN's wall time. A failed
 * one (another test run on the machine may restart pcscd) is skipped; more than 5% fail it.
 */
async function signLoop(daemon: AssuanChild, count: number): Promise<number[]> {
  await daemon.ok("SERIALNO");
  const times: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < count; i++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", Uint8Array.of(i)));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
    const start = performance.now();
    await daemon.ok(`SETDATA ${hex}`);
    const reply = await daemon.transact("PKSIGN --hash=sha256 OPENPGP.1", needPin);
    if (reply.at(-1)!.startsWith("OK")) times.push(performance.now() - start);
    else errors.push(reply.at(-1)!);
    if (errors.length > count / 20) {
      throw new Error(`Cannot sign over Assuan: ${errors.length} failures, last ${errors.at(-1)}`);
    }
  }
  return times;
}

/**
 * The bed's own cost with a zero-latency card: one APDU through libpcsclite → pcscd → vpcd
 * → the card process, and one connect + transaction + disconnect (scd-ts's per-operation
 * pattern), p50 in ms.
 */
async function transportFloor(reader: string): Promise<{ apduMs: number; openMs: number }> {
  const apdus: number[] = [];
  const opens: number[] = [];
  const select = fromHex("00A4040006D27600012401");
  const getC4 = fromHex("00CA00C400");
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    let inside = 0;
    await withCard(reader, async (channel) => {
      await channel.transmit(select);
      for (let j = 0; j < 5; j++) {
        const t = performance.now();
        await channel.transmit(getC4);
        apdus.push(performance.now() - t);
        inside += performance.now() - t;
      }
    }, { retry: false });
    opens.push(performance.now() - start - inside - percentile(apdus, 50));
  }
  return { apduMs: round(percentile(apdus, 50)), openMs: round(percentile(opens, 50)) };
}

/** What {@linkcode probeDaemons} measured. */
export interface ProbeNumbers {
  transport: { apduMs: number; openMs: number };
  startMs: { main: number; bundle: number; stock: number };
  /** VmHWM a second after the greeting: the peak of start-up. */
  rssPeakStartMib: number;
  rssIdleMib: number;
  rssAfterMib: number;
  signs: number;
  scdTsSignMs: { p50: number; p95: number };
  stockSignMs: { p50: number; p95: number };
  /** The Assuan line reader alone, in process (bench/line_reader.ts). */
  lineReader: LineReaderNumbers;
}

async function settle(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** scd-ts: RSS after start, `signs` PKSIGNs, RSS again. */
async function scdTsSigns(d: DaemonCommand, signs: number) {
  const daemon = AssuanChild.spawn(d.cmd, d.args, d.env);
  try {
    await daemon.greeting();
    await settle(1000);
    const rssPeakStartMib = statusMib(daemon.pid, "VmHWM");
    const rssIdleMib = statusMib(daemon.pid, "VmRSS");
    const times = await signLoop(daemon, signs);
    await settle(1000);
    return { rssPeakStartMib, rssIdleMib, rssAfterMib: statusMib(daemon.pid, "VmRSS"), times };
  } finally {
    await daemon.close();
  }
}

async function stockSigns(d: DaemonCommand, signs: number): Promise<number[]> {
  const daemon = AssuanChild.spawn(d.cmd, d.args, d.env);
  try {
    await daemon.greeting();
    return await signLoop(daemon, signs);
  } finally {
    await daemon.close();
  }
}

/** All daemon-level numbers, on the host bed with a copy of the template's card (no latency). */
export async function probeDaemons(
  b: BenchBed,
  t: Template,
  options: { startRuns: number; signs: number; stockSigns: number },
): Promise<ProbeNumbers> {
  const home = await benchHome(b, "stock", { from: t });
  const card = await benchCard(b, home, {
    serial: t.serial,
    latency: "none",
    statePath: t.statePath,
  });
  try {
    await home.killDaemons(); // the probes start their own daemons, not gpg-agent's
    const transport = await transportFloor(b.reader);
    await bundle();
    const main = scdTs(MAIN, home.path);
    const startMsAll = {
      main: await startMs(main, options.startRuns),
      bundle: await startMs(scdTs(BUNDLE, home.path), options.startRuns),
      stock: await startMs(stock(home.path), options.startRuns),
    };
    const s = await scdTsSigns(main, options.signs);
    const stockTimes = await stockSigns(stock(home.path), options.stockSigns);
    return {
      transport,
      startMs: startMsAll,
      rssPeakStartMib: s.rssPeakStartMib,
      rssIdleMib: s.rssIdleMib,
      rssAfterMib: s.rssAfterMib,
      signs: options.signs,
      scdTsSignMs: p50p95(s.times),
      stockSignMs: p50p95(stockTimes),
      lineReader: await lineReaderMs(),
    };
  } finally {
    await home.close();
    await card.stop();
  }
}

/**
 * `probe loop`: repeat `info` (and with `--sign` a signature with the signing key) and report
 * latency p50/p95/max and failures. The PIN comes from `--pin-file` or is typed once without
 * echo; it is never printed, and a PIN the card rejects ends the loop (never sent again).
 * @module
 */

import type { OperationContext, PinProvider } from "../app/mod.ts";
import { NULL_STATUS, PinBlockedError, PinError } from "../app/mod.ts";
import type { CardReaderBackend } from "../pcsc/mod.ts";
import { type CardInfo, openApplication, readCardInfo } from "./card_info.ts";
import { printJson, table, UsageError } from "./output.ts";

/** Latency summary in milliseconds. */
export interface Latency {
  p50: number;
  p95: number;
  max: number;
}

/** `probe loop --json`. */
export interface LoopResult {
  reader: string;
  aid: string;
  operation: "info" | "sign";
  count: number;
  ok: number;
  failed: number;
  errors: Record<string, number>;
  latencyMs: Latency | null;
}

/** Nearest-rank percentiles of `samples`. */
export function latency(samples: readonly number[]): Latency | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  const round = (n: number) => Math.round(n * 10) / 10;
  return { p50: round(rank(0.5)), p95: round(rank(0.95)), max: round(sorted.at(-1)!) };
}

/** Reads a line from the terminal without echo. */
async function readSecret(question: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    throw new UsageError("No terminal to ask the PIN: use --pin-file FILE");
  }
  await Deno.stdout.write(new TextEncoder().encode(question));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  try {
    const buf = new Uint8Array(1);
    while ((await Deno.stdin.read(buf)) === 1) {
      if (buf[0] === 0x0d || buf[0] === 0x0a) break;
      if (buf[0] === 0x03) throw new UsageError("Cancelled");
      if (buf[0] === 0x7f) bytes.pop();
      else bytes.push(buf[0]!);
    }
  } finally {
    Deno.stdin.setRaw(false);
    console.log();
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

async function userPin(pinFile: string | undefined): Promise<Uint8Array> {
  const text = pinFile !== undefined
    ? (await Deno.readTextFile(pinFile)).split("\n")[0]!.trim()
    : await readSecret("User PIN of the card: ");
  if (text === "") throw new UsageError("Empty PIN");
  return new TextEncoder().encode(text);
}

/** Runs the loop and prints its result; exit code 1 when any round failed. */
export async function runLoop(
  backend: CardReaderBackend,
  card: CardInfo,
  options: { count: number; sign: boolean; pinFile: string | undefined; json: boolean },
): Promise<number> {
  let rejected = false;
  let round: () => Promise<unknown> = () => readCardInfo(backend, card.reader);
  if (options.sign) {
    if (card.keys[0]?.fingerprint === null) throw new UsageError("The card has no signing key");
    const pin = await userPin(options.pinFile);
    const provider: PinProvider = {
      get: () =>
        rejected ? Promise.reject(new Error("PIN rejected before")) : Promise.resolve(pin.slice()),
      report: (_request, outcome) => {
        if (outcome === "rejected") rejected = true;
      },
    };
    const app = await openApplication(backend, card.reader);
    const ctx: OperationContext = { pin: provider, status: NULL_STATUS };
    round = () =>
      app.sign({
        keyRef: "OPENPGP.1",
        hash: "sha256",
        data: crypto.getRandomValues(new Uint8Array(32)),
      }, ctx);
  }
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  for (let i = 0; i < options.count && !rejected; i++) {
    const started = performance.now();
    try {
      await round();
      samples.push(performance.now() - started);
    } catch (e) {
      if (e instanceof PinError || e instanceof PinBlockedError) rejected = true;
      const key = (e as Error).message;
      errors[key] = (errors[key] ?? 0) + 1;
    }
  }
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const result: LoopResult = {
    reader: card.reader,
    aid: card.aid,
    operation: options.sign ? "sign" : "info",
    count: options.count,
    ok: samples.length,
    failed,
    errors,
    latencyMs: latency(samples),
  };
  if (options.json) printJson(result);
  else {
    const l = result.latencyMs;
    console.log(table([
      ["operation", result.operation],
      ["ok / failed", `${result.ok} / ${result.failed}`],
      ["latency", l === null ? "-" : `p50 ${l.p50} ms, p95 ${l.p95} ms, max ${l.max} ms`],
      ...Object.entries(errors).map(([m, n]) => [`error ×${n}`, m]),
    ]));
    if (rejected) {
      console.log("The card rejected the PIN: stopped (a rejected PIN is never sent again).");
    }
  }
  return failed === 0 && result.ok === options.count ? 0 : 1;
}

/**
 * What every fuzzer shares: its settings, the case contract, the card with keys that every
 * case starts from, and the capture of crashes and logged internal errors. Settings come
 * from the environment:
 *
 * - `SCD_TS_FUZZ_SEED`: the run's seed (default {@linkcode DEFAULT_SEED});
 * - `SCD_TS_FUZZ_COUNT`: cases per fuzzer (default 10000);
 * - `SCD_TS_FUZZ_CASE`: run only this case index (a replay), with its input printed.
 * @module
 */

import { configure, type LogRecord, reset } from "@logtape/logtape";
import { escapeData } from "../../src/assuan/mod.ts";
import { GpgError } from "../../src/gpg_error/mod.ts";
import { ADMIN_PIN } from "../support/fixtures.ts";
import { FuzzClient, type InquiryResponder, type Reply } from "./_client.ts";
import { FuzzDaemon } from "./_daemon.ts";
import type { FailureKind } from "./_outcomes.ts";
import type { Prng } from "./prng.ts";

/** The seed CI uses unless `SCD_TS_FUZZ_SEED` says otherwise. */
export const DEFAULT_SEED = 20261122;
/** Longest a case may take before it counts as a hang. */
export const CASE_MS = 8000;
/** Longest one reply may take inside a case. */
export const REPLY_MS = 3000;

/** The run's settings. */
export interface FuzzSettings {
  seed: number;
  count: number;
  only: number | undefined;
}

function envNumber(name: string): number | undefined {
  const v = Deno.env.get(name);
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Cannot use ${name}=${v}: not a count`);
  return n;
}

/** Settings from `SCD_TS_FUZZ_*`. */
export function fuzzSettings(): FuzzSettings {
  return {
    seed: envNumber("SCD_TS_FUZZ_SEED") ?? DEFAULT_SEED,
    count: envNumber("SCD_TS_FUZZ_COUNT") ?? 10000,
    only: envNumber("SCD_TS_FUZZ_CASE"),
  };
}

/** What a case sees. */
export interface CaseContext {
  readonly daemon: FuzzDaemon;
  readonly client: FuzzClient;
  readonly grips: readonly string[];
  /** Count `reply`; a bad one (hang, no reply, not a sensible ERR) fails the case. */
  check(reply: Reply, allowClosed?: boolean): void;
  fail(kind: FailureKind, detail: string): void;
  /** Count something fuzzer-specific in the totals. */
  note(name: string, n?: number): void;
}

/** One generated case. */
export interface FuzzCase {
  /** The input, printable, for failure reports. */
  readonly input: string;
  run(ctx: CaseContext): Promise<void>;
}

/** A fuzzer: makes case `index` from its own PRNG. */
export interface Fuzzer {
  readonly title: string;
  make(prng: Prng, index: number, grips: readonly string[]): FuzzCase;
  /** Runs before the follow-up check (e.g. make the card sane again). */
  beforeFollowUp?(daemon: FuzzDaemon): void;
  /** Further good commands after `GETINFO version`, on `client` (fail or note through `ctx`). */
  followUp?(client: FuzzClient, prepared: Prepared, ctx: CaseContext): Promise<void>;
}

/** The card every case starts from. */
export interface Prepared {
  statePath: string;
  state: string;
  grips: string[];
  /** The status lines of `LEARN --force` on the unspoiled card. */
  learn: string[];
}

/** `D <pin><NUL padding>` + `END`, as gpg-agent answers NEEDPIN. */
export function pinAnswer(pin: string): Uint8Array {
  const padded = new Uint8Array(90);
  padded.set(new TextEncoder().encode(pin));
  const d = escapeData(padded);
  const out = new Uint8Array(2 + d.length + 5);
  out.set(new TextEncoder().encode("D "));
  out.set(d, 2);
  out.set(new TextEncoder().encode("\nEND\n"), 2 + d.length);
  return out;
}

/**
 * The committed card state every run starts from (keys included), so a seed means the same
 * cases on every machine. Delete it and run the fuzzers once to make a new one.
 */
const CARD_FILE = new URL("../testdata/fuzz_card.json", import.meta.url);

/** Generate the three keys on a factory-fresh card at `statePath`. */
async function generateKeys(client: FuzzClient): Promise<void> {
  const admin: InquiryResponder = () => ({ bytes: pinAnswer(ADMIN_PIN) });
  for (const [slot, algo] of [[1, "rsa2048"], [2, "cv25519"], [3, "ed25519"]] as const) {
    const r = await client.transact(
      `GENKEY --force --timestamp=20240101T000000 --algo=${algo} ${slot}`,
      60_000,
      admin,
    );
    if (r.end.kind !== "ok") throw new Error(`Cannot prepare key ${slot}: ${JSON.stringify(r)}`);
  }
}

/** Load (or once generate) the card, and note its keygrips and LEARN --force output. */
async function prepareCard(dir: string): Promise<Prepared> {
  const statePath = `${dir}/card.json`;
  let committed: string | undefined;
  try {
    committed = Deno.readTextFileSync(CARD_FILE);
    // the card refuses a state file others may read (issue 17 L3)
    Deno.writeTextFileSync(statePath, committed, { mode: 0o600 });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const daemon = await FuzzDaemon.open(statePath);
  const client = new FuzzClient(await daemon.connect());
  if (committed === undefined) await generateKeys(client);
  const list = await client.transact("KEYINFO --list", REPLY_MS);
  const grips = list.lines.map((l) => l.split(" ")[2]!).filter((g) => /^[0-9A-F]{40}$/.test(g));
  const learn = (await client.transact("LEARN --force", REPLY_MS)).lines;
  await client.ended(REPLY_MS);
  await daemon.close();
  const state = committed ?? Deno.readTextFileSync(statePath);
  if (committed === undefined) Deno.writeTextFileSync(CARD_FILE, state);
  return { statePath, state, grips, learn };
}

/** Warnings and errors the daemon logged during the current case. */
const logged: LogRecord[] = [];
/** Unhandled rejections and uncaught errors during the current case. */
const crashes: string[] = [];

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function onRejection(e: PromiseRejectionEvent): void {
  e.preventDefault();
  crashes.push(`unhandled rejection: ${describe(e.reason)}`);
}

function onError(e: ErrorEvent): void {
  e.preventDefault();
  crashes.push(`uncaught exception: ${describe(e.error)}`);
}

/** Macrotask yields; a MessageChannel is ~50× faster than setTimeout(0) here. */
let ticker: { channel: MessageChannel; wake: (() => void) | undefined } | undefined;

/** Yield to the event loop once (lets pending rejections and I/O callbacks run). */
function tick(): Promise<void> {
  const t = ticker;
  if (!t) return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    t.wake = resolve;
    t.channel.port2.postMessage(0);
  });
}

async function startCapture(): Promise<void> {
  const channel = new MessageChannel();
  const t = { channel, wake: undefined as (() => void) | undefined };
  channel.port1.onmessage = () => t.wake?.();
  ticker = t;
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  await configure({
    reset: true,
    sinks: { capture: (record) => void logged.push(record) },
    // Debug too, for the errors a layer handles quietly (a card that fails to open is
    // "no card"), but only records that carry an error.
    filters: { withError: (record) => record.properties["error"] !== undefined },
    loggers: [
      { category: ["scd-ts"], lowestLevel: "debug", sinks: ["capture"], filters: ["withError"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["capture"] },
    ],
  });
}

async function stopCapture(): Promise<void> {
  ticker?.channel.port1.close();
  ticker?.channel.port2.close();
  ticker = undefined;
  globalThis.removeEventListener("unhandledrejection", onRejection);
  globalThis.removeEventListener("error", onError);
  await reset();
}

/** Error classes that mean a bug when they reach a command's error path (not domain errors). */
const INTERNAL = new Set(["TypeError", "RangeError", "ReferenceError", "SyntaxError", "Error"]);

/** `e` or the first error in its `cause` chain that is not a domain error. */
function internalCause(e: unknown): Error | undefined {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (INTERNAL.has(c.name) && !(c instanceof GpgError)) return c;
  }
  return undefined;
}

/** Internal exceptions behind the errors the daemon logged in the current case. */
function internalErrors(): string[] {
  const out: string[] = [];
  for (const record of logged) {
    const error = record.properties["error"];
    // Warnings with an error are unmapped exceptions (GENERAL) or internal failures.
    const unmapped = record.level !== "debug" && error instanceof Error &&
      !(error instanceof GpgError);
    const cause = internalCause(error) ?? (unmapped ? error : undefined);
    if (!cause) continue;
    const where = cause.stack?.split("\n").slice(0, 3).join(" | ") ?? String(cause);
    out.push(`${record.level} "${record.message.join("")}": ${where}`);
  }
  return out;
}

export { crashes, internalErrors, logged, prepareCard, startCapture, stopCapture, tick };

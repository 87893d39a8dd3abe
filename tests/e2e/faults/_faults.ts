/**
 * The fault matrix's harness (docs/reliability.md): {@linkcode faultTest} registers one e2e
 * test per column (scd-ts; stock scdaemon in its default mode and with `pcsc-shared`), gives it
 * a card with keys and a warm first signature, then repeats the fault SCD_FAULT_REPEAT times
 * (default 5). After each fault the next gpg operation, a clear-signature that is verified,
 * must succeed with exactly the PIN prompts the card's state requires. Each test prints one
 * line `FAULT <id> <column> gnupg=<v> pass=<n> fail=<n> detail=<json>` (also appended to the
 * file SCD_FAULT_RESULTS when set); only the scd-ts column asserts.
 *
 * @module
 */
import { pidsWithEnv, spawnCaptured, type Spawned } from "../../bed/procs.ts";
import { REPO_ROOT } from "../../bed/vcard.ts";
import { type CardContext, cardTest, DAEMON, GNUPG, READER, USER_PIN } from "../_fixture.ts";
import {
  assertGoodSignature,
  type CardKeys,
  clearsign,
  generateOnCard,
  setEccKeyAttributes,
} from "../_workflows.ts";

/** How often each fault is repeated (SCD_FAULT_REPEAT, default 5). */
export const REPEAT = Number(Deno.env.get("SCD_FAULT_REPEAT") ?? 5);

/** A column of the matrix. */
export type Column = "scd-ts" | "stock-default" | "stock-pcsc-shared";

/** What one round of a fault tells the harness. */
export interface RoundPlan {
  /** GETPIN dialogs the next signature needs with scd-ts (cache kept: 0; dropped: 1). */
  prompts: number;
  /** Observations recorded for the matrix (counted over the rounds), e.g. "inflight=ok". */
  notes?: string[];
  /** Skip the check of the next signature (the fault's own check covers it). */
  noNextSign?: boolean;
}

/** What a fault function gets. */
export interface FaultContext {
  c: CardContext;
  keys: CardKeys;
  column: Column;
  /** One round of the fault; `round` counts from 1. */
  round: number;
}

/** Options for {@linkcode faultTest}. */
export interface FaultTestOptions {
  /** Rounds instead of {@linkcode REPEAT}. */
  rounds?: number;
  /** Columns to run (default all three). */
  columns?: Column[];
  ignore?: boolean;
  /** Runs once before the rounds (after the keys and the first signature). */
  setup?: (f: Omit<FaultContext, "round">) => Promise<void>;
  /** Runs at the end, also after a failure (e.g. to end a card process the test started). */
  teardown?: (f: Omit<FaultContext, "round">) => Promise<void>;
}

/** The columns of this run's daemon (SCD_E2E_DAEMON). */
export function runColumns(wanted: Column[] | undefined): Column[] {
  const all: Column[] = DAEMON === "scd-ts" ? ["scd-ts"] : ["stock-default", "stock-pcsc-shared"];
  return all.filter((c) => wanted === undefined || wanted.includes(c));
}

/** Registers the fault's test for each column of this run. */
export function faultTest(
  id: string,
  title: string,
  fault: (f: FaultContext) => Promise<RoundPlan>,
  options: FaultTestOptions = {},
): void {
  for (const column of runColumns(options.columns)) {
    cardTest(`${id} ${column}: ${title}`, async (c) => {
      try {
        await runRounds(id, c, column, fault, options);
      } finally {
        await options.teardown?.({ c, keys: undefined as unknown as CardKeys, column });
      }
    }, {
      pcscShared: column === "stock-pcsc-shared",
      ignore: options.ignore ?? false,
    });
  }
}

/** Environment for the fault client (a private pcscd's socket, see _private_pcscd.ts). */
export const CLIENT_ENV: Record<string, string> = {};
/** The reader the fault client uses when not the fixture's READER (a private pcscd's). */
export const CLIENT_READER: { name?: string } = {};

/** The rounds of one fault in one column, with the report; throws for scd-ts failures. */
export async function runRounds(
  id: string,
  c: CardContext,
  column: Column,
  fault: (f: FaultContext) => Promise<RoundPlan>,
  options: FaultTestOptions,
): Promise<void> {
  const keys = await cardWithKeys(c);
  await c.pins([{ pin: USER_PIN }]);
  await clearsign(c, keys.primary, "warm\n");
  await options.setup?.({ c, keys, column });
  const rounds = options.rounds ?? REPEAT;
  const notes = new Map<string, number>();
  const failures: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    try {
      const plan = await fault({ c, keys, column, round });
      for (const n of plan.notes ?? []) notes.set(n, (notes.get(n) ?? 0) + 1);
      if (plan.noNextSign !== true) {
        const seen = await nextSignature(c, keys, column === "scd-ts" ? plan.prompts : undefined);
        notes.set(`prompts=${seen}`, (notes.get(`prompts=${seen}`) ?? 0) + 1);
      }
    } catch (e) {
      failures.push(`round ${round}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  await report(id, column, rounds, notes, failures);
  if (column === "scd-ts" && failures.length > 0) {
    throw new Error(
      `${id}: ${failures.length} of ${rounds} rounds failed:\n${failures.join("\n")}`,
    );
  }
}

async function report(
  id: string,
  column: Column,
  rounds: number,
  notes: Map<string, number>,
  failures: string[],
): Promise<void> {
  const detail: Record<string, number | string> = Object.fromEntries(notes);
  if (failures.length > 0) detail.firstFailure = failures[0]!.slice(0, 300);
  const line = `FAULT ${id} ${column} gnupg=${GNUPG} pass=${
    rounds - failures.length
  } fail=${failures.length} detail=${JSON.stringify(detail)}`;
  console.log(line);
  const file = Deno.env.get("SCD_FAULT_RESULTS");
  if (file !== undefined) await Deno.writeTextFile(file, line + "\n", { append: true });
}

/** ed25519/cv25519 keys on the card, then a fresh agent (nothing verified, nothing cached). */
export async function cardWithKeys(c: CardContext): Promise<CardKeys> {
  await setEccKeyAttributes(c, "1");
  const keys = await generateOnCard(c);
  await c.restartAgent();
  return keys;
}

/** GETPIN dialogs the pinentry showed since the last `pins()`. */
export async function getpins(c: CardContext): Promise<number> {
  return (await c.prompts()).filter((p) => p.command === "GETPIN").length;
}

/**
 * The operation after a fault: clear-sign and verify, with one PIN answer available; returns
 * the prompts seen and, when `want` is given, throws unless exactly `want` were shown.
 */
export async function nextSignature(
  c: CardContext,
  keys: CardKeys,
  want: number | undefined,
): Promise<number> {
  await c.pins([{ pin: USER_PIN }]);
  const signed = await clearsign(c, keys.primary, "after the fault\n");
  await assertGoodSignature(c, [], keys.primary, signed);
  const seen = await getpins(c);
  if (want !== undefined && seen !== want) {
    throw new Error(`the signature after the fault showed ${seen} PIN prompts, expected ${want}`);
  }
  return seen;
}

const CLIENT = `${REPO_ROOT}/tests/e2e/faults/_fault_client.ts`;

function clientArgs(mode: string, args: string[]): [string, string[], Record<string, string>] {
  const deno = Deno.realPathSync(Deno.execPath());
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  const argv = ["run", "-A", "--quiet", "--config", `${REPO_ROOT}/deno.json`, CLIENT, mode];
  argv.push(CLIENT_READER.name ?? READER);
  return [deno, [...argv, ...args], { DENO_DIR: denoDir, ...CLIENT_ENV }];
}

/** Runs the fault client to its end; returns its JSON line (`{error}` on a PC/SC failure). */
export async function client(
  c: CardContext,
  mode: string,
  ...args: string[]
): Promise<Record<string, unknown>> {
  const [deno, argv, env] = clientArgs(mode, args);
  const r = await c.run(deno, argv, { env });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(
      `Cannot read the fault client's answer (exit ${r.code}): ${r.stdout}${r.stderr}`,
    );
  }
}

/** Starts the fault client and returns the live process (its JSON lines are in `output()`). */
export function spawnClient(c: CardContext, mode: string, ...args: string[]): Spawned {
  const [deno, argv, env] = clientArgs(mode, args);
  const [prog, full] = c.bed.command(deno, argv, { env });
  return spawnCaptured(prog, full, { clearEnv: true, env: {} });
}

/** The JSON lines a spawned client printed. */
export function clientLines(p: Spawned): Record<string, unknown>[] {
  return p.output().split("\n").filter((l) => l.startsWith("out: {")).map((l) =>
    JSON.parse(l.slice(5))
  );
}

/** PIDs of this home's processes whose /proc/PID/comm is `comm` (gpg, gpg-agent, deno…). */
export function homePids(c: CardContext, comm: string): number[] {
  return pidsWithEnv("GNUPGHOME", c.home.path).filter((pid) => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === comm;
    } catch {
      return false;
    }
  });
}

/** Sleeps `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

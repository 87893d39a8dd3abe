/**
 * What the fuzzers count and print: replies by kind (OK, ERR by gpg-error code name), and
 * failures (crash, hang, transaction left open, an ERR line that is not a sensible gpg-error,
 * an internal exception behind an error, the daemon not serving the next command). The first
 * failures are kept with their case index and input so they can be replayed.
 * @module
 */

import { gpgErrorName, gpgStrerror } from "../../src/gpg_error/mod.ts";
import type { ReplyEnd } from "./_client.ts";

/** The kinds of failure a case can show. */
export type FailureKind =
  | "crash"
  | "hang"
  | "open-transaction"
  | "bad-err"
  | "internal-error"
  | "not-served"
  | "reply-count";

/** One failed check of one case. */
export interface Failure {
  kind: FailureKind;
  index: number;
  detail: string;
  input: string;
}

/** gpg-error codes no malformed input may produce: they mean a bug in scd-ts. */
const INSANE_CODES = new Set(["BUG", "INTERNAL"]);
/** Failures kept in full for the report. */
const KEEP_FAILURES = 20;

/** Why an `ERR` line is not a sensible gpg-error, or its code name when it is. */
export function classifyErr(line: string): { name: string } | { problem: string } {
  const m = /^ERR (\d+) (.*?) <([^>]*)>(?: - (.*))?$/s.exec(line);
  if (m === null) return { problem: "not of the form ERR <n> <text> <source>[ - …]" };
  const value = Number(m[1]);
  const code = value & 0xffff;
  const name = gpgErrorName(code);
  if (value >>> 24 !== 6 || m[3] !== "SCD") return { problem: "error source is not SCD" };
  if (name === undefined) return { problem: `unknown gpg-error code ${code}` };
  if (m[2] !== gpgStrerror(code).slice(0, 49)) return { problem: "text is not gpg_strerror's" };
  if (INSANE_CODES.has(name)) return { problem: `code ${name}` };
  return { name };
}

/** Counts of one fuzzer's run. */
export class Tally {
  cases = 0;
  ok = 0;
  readonly err = new Map<string, number>();
  readonly failures = new Map<FailureKind, number>();
  readonly kept: Failure[] = [];
  /** Fuzzer-specific counters printed with the totals (e.g. spoiled card responses). */
  readonly notes = new Map<string, number>();
  #failedCases = new Set<number>();

  /** Count one reply; returns a problem description when it is not acceptable. */
  reply(end: ReplyEnd): string | undefined {
    if (end.kind === "ok") {
      this.ok++;
      return undefined;
    }
    if (end.kind !== "err") return `no reply (${end.kind})`;
    const c = classifyErr(end.line);
    if ("problem" in c) return `${end.line}: ${c.problem}`;
    this.err.set(c.name, (this.err.get(c.name) ?? 0) + 1);
    return undefined;
  }

  /** Add `n` to the note `name`. */
  note(name: string, n = 1): void {
    this.notes.set(name, (this.notes.get(name) ?? 0) + n);
  }

  /** Record a failure of case `failure.index`. */
  fail(failure: Failure): void {
    this.failures.set(failure.kind, (this.failures.get(failure.kind) ?? 0) + 1);
    this.#failedCases.add(failure.index);
    if (this.kept.length < KEEP_FAILURES) this.kept.push(failure);
  }

  /** Cases with at least one failure. */
  get failedCases(): number {
    return this.#failedCases.size;
  }

  /** The summary block printed at the end of a run. */
  report(title: string, run: { seed: number; ms: number; replay?: number | undefined }): string {
    const failure = (k: FailureKind) => this.failures.get(k) ?? 0;
    const errs = [...this.err].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`);
    const lines = [
      `fuzz ${title}: ${this.cases} cases, seed ${run.seed}` +
      (run.replay === undefined ? "" : ` (replaying case ${run.replay})`) +
      `, ${(run.ms / 1000).toFixed(1)} s`,
      `  replies: OK ${this.ok}, ERR ${sum(this.err)} (${errs.join(", ") || "none"})`,
      `  crashes ${failure("crash")}, hangs ${failure("hang")}, ` +
      `transactions left open ${failure("open-transaction")}, ` +
      `bad ERR ${failure("bad-err")}, internal errors ${failure("internal-error")}, ` +
      `next command not served ${failure("not-served")}, ` +
      `wrong reply counts ${failure("reply-count")}`,
      `  failed cases: ${this.failedCases}`,
    ];
    if (this.notes.size > 0) {
      lines.splice(2, 0, `  ${[...this.notes].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    }
    for (const f of this.kept) {
      lines.push(
        `  FAIL ${f.kind} case ${f.index} (SCD_TS_FUZZ_SEED=${run.seed} ` +
          `SCD_TS_FUZZ_CASE=${f.index}): ${f.detail}`,
        `    input: ${f.input}`,
      );
    }
    return lines.join("\n");
  }
}

function sum(map: Map<string, number>): number {
  let n = 0;
  for (const v of map.values()) n += v;
  return n;
}

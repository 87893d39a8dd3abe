/**
 * Classifier of the differences between stock scdaemon's and scd-ts's normalized traffic for
 * one workflow (docs/conformance.md): a line diff of the Assuan traces, the pinentry dialogs
 * and the APDU counts by INS. Every delta an allowlist entry matches takes that entry's class
 * (advisory or intentional) and reason; every other delta is load-bearing.
 *
 * @module
 */
import type { CapturedWorkflow } from "./capture_format.ts";
import type { PinentryPrompt } from "../bed/pinentry.ts";
import { normalizeTrace, type NormalLine } from "./normalize.ts";

/** The three classes of the issue: load-bearing fails CI, the others are reported. */
export type DeltaClass = "load-bearing" | "advisory" | "intentional";

/**
 * What differs: `missing` = stock has it and scd-ts does not; `extra` = only scd-ts;
 * `prompt-missing`/`prompt-extra` the same for pinentry dialogs; `apdu` = APDU counts of one
 * INS differ (`INS 20: 3 vs 1`); `capture` = a workflow captured for one daemon only.
 */
export type DeltaKind =
  | "missing"
  | "extra"
  | "prompt-missing"
  | "prompt-extra"
  | "apdu"
  | "capture";

/** One difference, classified. */
export interface Delta {
  kind: DeltaKind;
  /** The normalized line (or dialog, or APDU summary) that differs. */
  line: string;
  class: DeltaClass;
  /** The allowlist's one-line reason; empty for load-bearing. */
  reason: string;
}

/** One allowlist entry (tests/conformance/allowlist.ts). */
export interface AllowEntry {
  kind: DeltaKind;
  /** Matched against the whole normalized line (anchored). */
  pattern: RegExp;
  class: "advisory" | "intentional";
  reason: string;
  /** Only these workflows (default: all). */
  workflows?: string[];
  /**
   * Only this gnupg version (default: all): "2.2", "2.4" (the series: 2.4.7 and 2.4.9), or
   * exactly "2.4.9".
   */
  gnupg?: "2.2" | "2.4" | "2.4.9";
}

/** A workflow on one gnupg version, classified. */
export interface WorkflowResult {
  workflow: string;
  gnupg: string;
  deltas: Delta[];
  apdus: { stock: number; scdTs: number };
  prompts: { stock: number; scdTs: number };
  /** APDU traffic by INS: [stock, scd-ts] counts and bytes (in+out). */
  byIns: Record<string, { stock: [number, number]; scdTs: [number, number] }>;
}

/** A dialog in one comparable line: command, labels, error, repeat flag. */
export function promptLine(p: PinentryPrompt): string {
  const hex = (s: string | undefined) => (s ?? "").replace(/\b[0-9A-Fa-f]{40,}\b/g, "<HEX>");
  return `${p.command} prompt=${JSON.stringify(hex(p.prompt))} desc=${
    JSON.stringify(hex(p.desc))
  }` +
    ` error=${JSON.stringify(hex(p.error))}${p.repeat ? " repeat" : ""}`;
}

/** Line diff (longest common subsequence): the lines only in `a` and only in `b`, in order. */
export function diffLines(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const n = a.length;
  const m = b.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j]
        ? lcs[i + 1]![j + 1]! + 1
        : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const onlyA: string[] = [];
  const onlyB: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) onlyA.push(a[i++]!);
    else onlyB.push(b[j++]!);
  }
  onlyA.push(...a.slice(i));
  onlyB.push(...b.slice(j));
  return { onlyA, onlyB };
}

/** The release series of an SCD_E2E_GNUPG value ("2.4.9" is a 2.4). */
function series(gnupg: string): string {
  return gnupg.split(".").slice(0, 2).join(".");
}

function classify(
  kind: DeltaKind,
  line: string,
  where: { workflow: string; gnupg: string },
  allow: AllowEntry[],
): Delta {
  const hit = allow.find((e) =>
    e.kind === kind &&
    (e.workflows === undefined || e.workflows.includes(where.workflow)) &&
    (e.gnupg === undefined || e.gnupg === where.gnupg || e.gnupg === series(where.gnupg)) &&
    new RegExp(`^(?:${e.pattern.source})$`, e.pattern.flags).test(line)
  );
  return hit === undefined
    ? { kind, line, class: "load-bearing", reason: "" }
    : { kind, line, class: hit.class, reason: hit.reason };
}

/** Compares one workflow's stock and scd-ts captures (either may be missing). */
export function compareWorkflow(
  stock: CapturedWorkflow | undefined,
  scdTs: CapturedWorkflow | undefined,
  allow: AllowEntry[],
): WorkflowResult {
  const workflow = (stock ?? scdTs)!.workflow;
  const gnupg = (stock ?? scdTs)!.gnupg;
  const where = { workflow, gnupg };
  const result: WorkflowResult = {
    workflow,
    gnupg,
    deltas: [],
    apdus: { stock: stock?.apdus.total ?? 0, scdTs: scdTs?.apdus.total ?? 0 },
    prompts: { stock: stock?.prompts.length ?? 0, scdTs: scdTs?.prompts.length ?? 0 },
    byIns: {},
  };
  if (stock === undefined || scdTs === undefined) {
    const line = `captured for ${stock === undefined ? "scd-ts" : "stock"} only`;
    result.deltas.push({ kind: "capture", line, class: "load-bearing", reason: "" });
    return result;
  }
  const trace = diffLines(normalizeTrace(stock.assuan), normalizeTrace(scdTs.assuan));
  for (const l of trace.onlyA) result.deltas.push(classify("missing", l, where, allow));
  for (const l of trace.onlyB) result.deltas.push(classify("extra", l, where, allow));
  const prompts = diffLines(stock.prompts.map(promptLine), scdTs.prompts.map(promptLine));
  for (const l of prompts.onlyA) result.deltas.push(classify("prompt-missing", l, where, allow));
  for (const l of prompts.onlyB) result.deltas.push(classify("prompt-extra", l, where, allow));
  const insSet = new Set([...Object.keys(stock.apdus.byIns), ...Object.keys(scdTs.apdus.byIns)]);
  for (const ins of [...insSet].sort()) {
    const a = stock.apdus.byIns[ins];
    const b = scdTs.apdus.byIns[ins];
    result.byIns[ins] = {
      stock: [a?.count ?? 0, (a?.bytesIn ?? 0) + (a?.bytesOut ?? 0)],
      scdTs: [b?.count ?? 0, (b?.bytesIn ?? 0) + (b?.bytesOut ?? 0)],
    };
    if ((a?.count ?? 0) !== (b?.count ?? 0)) {
      const line = `INS ${ins}: ${a?.count ?? 0} vs ${b?.count ?? 0}`;
      result.deltas.push(classify("apdu", line, where, allow));
    }
  }
  return result;
}

/** Counts of a result's deltas by class. */
export function countByClass(r: WorkflowResult): Record<DeltaClass, number> {
  const out: Record<DeltaClass, number> = { "load-bearing": 0, advisory: 0, intentional: 0 };
  for (const d of r.deltas) out[d.class]++;
  return out;
}

export type { NormalLine };

/**
 * The conformance report: the summary table (workflow × gnupg version × delta classes, APDUs
 * and prompts stock/scd-ts) for the terminal, and docs/conformance.md with every non-load-
 * free delta and the APDU traffic by INS beside each workflow.
 *
 * @module
 */
import { countByClass, type WorkflowResult } from "./classify.ts";

const HEADER = [
  "workflow",
  "gnupg",
  "load-bearing",
  "advisory",
  "intentional",
  "APDUs stock/scd-ts",
  "prompts stock/scd-ts",
];

/** One row per result, in the order of `results`. */
export function summaryRows(results: WorkflowResult[]): string[][] {
  return results.map((r) => {
    const c = countByClass(r);
    return [
      r.workflow,
      r.gnupg,
      String(c["load-bearing"]),
      String(c.advisory),
      String(c.intentional),
      `${r.apdus.stock}/${r.apdus.scdTs}`,
      `${r.prompts.stock}/${r.prompts.scdTs}`,
    ];
  });
}

/** The summary as an aligned plain-text table. */
export function textTable(results: WorkflowResult[]): string {
  const rows = [HEADER, ...summaryRows(results)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

function mdRow(cells: string[]): string {
  return `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
}

/** Markdown for docs/conformance.md (the prose above the generated part comes from `intro`). */
export function markdown(intro: string, results: WorkflowResult[]): string {
  const out = [intro.trimEnd(), "", "## Summary", ""];
  out.push(mdRow(HEADER), mdRow(HEADER.map(() => "---")));
  for (const row of summaryRows(results)) out.push(mdRow(row));
  const load = results.reduce((n, r) => n + countByClass(r)["load-bearing"], 0);
  out.push("", `Load-bearing deltas: **${load}**.`, "", "## Per workflow", "");
  for (const r of results) {
    out.push(`### ${r.workflow} (gnupg ${r.gnupg})`, "");
    if (r.deltas.length === 0) out.push("No deltas.", "");
    else {
      out.push(mdRow(["class", "kind", "line", "reason"]), mdRow(["---", "---", "---", "---"]));
      for (const d of r.deltas) out.push(mdRow([d.class, d.kind, `\`${d.line}\``, d.reason]));
      out.push("");
    }
    out.push(
      mdRow(["INS", "stock count", "scd-ts count", "stock bytes", "scd-ts bytes"]),
      mdRow(["---", "---", "---", "---", "---"]),
    );
    for (const [ins, t] of Object.entries(r.byIns)) {
      out.push(mdRow([ins, ...[t.stock[0], t.scdTs[0], t.stock[1], t.scdTs[1]].map(String)]));
    }
    out.push("");
  }
  return out.join("\n") + "\n";
}

/**
 * `deno task conformance [DIR]`: reads the captures the e2e runs wrote to DIR (default
 * SCD_E2E_CAPTURE_DIR; layout `<gnupg>/<daemon>/<workflow>.json`, tests/e2e/_capture.ts),
 * classifies every delta between stock scdaemon and scd-ts, prints the summary table, writes
 * docs/conformance.md (`--no-write` to skip) and exits 1 on any load-bearing delta or a
 * workflow of {@linkcode WORKFLOWS} that was not captured on every gnupg version.
 *
 * @module
 */
import type { CapturedWorkflow } from "./capture_format.ts";
import { ALLOWLIST } from "./allowlist.ts";
import { compareWorkflow, countByClass, type WorkflowResult } from "./classify.ts";
import { markdown, textTable } from "./report.ts";
import { INTRO } from "./intro.ts";

/** The workflows the report must cover (the list), in report order. */
export const WORKFLOWS = [
  "card-status",
  "clearsign",
  "detach-sign",
  "decrypt",
  "ssh-auth",
  "generate",
  "key-attr",
  "keytocard",
  "passwd",
  "unblock-reset-code",
  "unblock-admin-pin",
  "factory-reset",
  "name-url-login-lang",
  "kdf-setup",
  "wrong-pin",
  "direct-commands",
];
/** The e2e matrix's SCD_E2E_GNUPG values: 2.2.40, 2.4.7 ("2.4") and 2.4.9. */
const GNUPG_VERSIONS = ["2.2", "2.4", "2.4.9"];

async function readCaptures(dir: string): Promise<Map<string, CapturedWorkflow>> {
  const out = new Map<string, CapturedWorkflow>();
  for (const gnupg of GNUPG_VERSIONS) {
    for (const daemon of ["stock", "scd-ts"]) {
      const sub = `${dir}/${gnupg}/${daemon}`;
      const entries = await Array.fromAsync(Deno.readDir(sub)).catch(() => []);
      for (const e of entries) {
        if (!e.name.endsWith(".json")) continue;
        const c = JSON.parse(await Deno.readTextFile(`${sub}/${e.name}`)) as CapturedWorkflow;
        out.set(`${gnupg}/${daemon}/${c.workflow}`, c);
      }
    }
  }
  return out;
}

/** Every captured workflow on every version, required ones first; absent required ones fail. */
export function compareAll(captures: Map<string, CapturedWorkflow>): WorkflowResult[] {
  const names = new Set(WORKFLOWS);
  for (const c of captures.values()) names.add(c.workflow);
  const results: WorkflowResult[] = [];
  for (const workflow of names) {
    for (const gnupg of GNUPG_VERSIONS) {
      const stock = captures.get(`${gnupg}/stock/${workflow}`);
      const scdTs = captures.get(`${gnupg}/scd-ts/${workflow}`);
      if (stock === undefined && scdTs === undefined) {
        if (!WORKFLOWS.includes(workflow)) continue;
        results.push({
          workflow,
          gnupg,
          deltas: [{ kind: "capture", line: "not captured", class: "load-bearing", reason: "" }],
          apdus: { stock: 0, scdTs: 0 },
          prompts: { stock: 0, scdTs: 0 },
          byIns: {},
        });
        continue;
      }
      results.push(compareWorkflow(stock, scdTs, ALLOWLIST));
    }
  }
  return results;
}

async function main(args: string[]): Promise<number> {
  const dir = args.find((a) => !a.startsWith("--")) ?? Deno.env.get("SCD_E2E_CAPTURE_DIR");
  if (dir === undefined) {
    console.error("Cannot find the captures: pass DIR or set SCD_E2E_CAPTURE_DIR");
    return 2;
  }
  const results = compareAll(await readCaptures(dir));
  console.log(textTable(results));
  if (!args.includes("--no-write")) {
    const doc = new URL("../../docs/conformance.md", import.meta.url).pathname;
    await Deno.writeTextFile(doc, markdown(INTRO, results));
    console.log(`wrote ${doc}`);
  }
  let failed = 0;
  for (const r of results) {
    for (const d of r.deltas.filter((d) => d.class === "load-bearing")) {
      console.log(`LOAD-BEARING ${r.workflow} gnupg ${r.gnupg}: ${d.kind} ${d.line}`);
      failed++;
    }
  }
  const total = results.reduce((n, r) => n + countByClass(r)["load-bearing"], 0);
  console.log(`${results.length} workflow runs compared, ${total} load-bearing deltas`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/**
 * The smoke set (tests/e2e/profile_smoke_test.ts) on every cell profile × {stock, scd-ts} ×
 * {gnupg 2.2, 2.4}, and the table of docs/cards.md "Workflows per profile":
 *
 * ```sh
 * deno run -A tests/e2e/profile_matrix.ts            # every profile, print the table
 * deno run -A tests/e2e/profile_matrix.ts --write    # … and rewrite it in docs/cards.md
 * deno run -A tests/e2e/profile_matrix.ts --profiles yubikey4,gnuk --daemons scd-ts
 * deno run -A tests/e2e/profile_matrix.ts --except-default   # CI: the full e2e covers it
 * deno run -A tests/e2e/profile_matrix.ts --json out.jsonl   # every step with its note
 * ```
 *
 * Cells run in parallel as far as the bed allows: two gnupg 2.2 cells at once (the host
 * pcscd's two vpcd slots) and one 2.4 cell (it locks the chroot's pcscd), alongside.
 * Exits 1 when scd-ts fails a workflow that stock does not fail on the same profile and gnupg
 * version (or stock was not run); stock's failures are recorded, not asserted.
 * @module
 */
import { DEFAULT_PROFILE, PROFILES } from "../../src/virtual/profiles/mod.ts";
import { SMOKE_WORKFLOWS } from "./_smoke_workflows.ts";

type Result = "pass" | "fail" | "n/a";
interface Cell {
  profile: string;
  daemon: string;
  gnupg: string;
}
interface Line extends Cell {
  workflow: string;
  result: Result;
  why: string;
}

const ROOT = new URL("../../", import.meta.url).pathname;
const DOC = `${ROOT}docs/cards.md`;
const BEGIN = "<!-- profile-matrix:begin -->";
const END = "<!-- profile-matrix:end -->";
const COLUMNS = [
  ["stock", "2.2"],
  ["stock", "2.4"],
  ["scd-ts", "2.2"],
  ["scd-ts", "2.4"],
] as const;

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** Runs one cell; its step results, or a "fail" for every workflow when it broke. */
async function runCell(cell: Cell): Promise<{ lines: Line[]; ms: number; output: string }> {
  const results = await Deno.makeTempFile({ prefix: "profile-matrix-", suffix: ".jsonl" });
  const started = Date.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--quiet", "-A", "tests/e2e/profile_smoke_test.ts"],
    cwd: ROOT,
    env: {
      NO_COLOR: "1",
      SCD_E2E_PROFILE: cell.profile,
      SCD_E2E_DAEMON: cell.daemon,
      SCD_E2E_GNUPG: cell.gnupg,
      SCD_E2E_RESULTS: results,
    },
    stdin: "null",
  }).output();
  const ms = Date.now() - started;
  const text = await Deno.readTextFile(results);
  await Deno.remove(results);
  const lines = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Line);
  const seen = new Set(lines.map((l) => l.workflow));
  for (const workflow of SMOKE_WORKFLOWS) {
    if (!seen.has(workflow)) lines.push({ ...cell, workflow, result: "fail", why: "no result" });
  }
  const output = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { lines, ms, output };
}

/** Runs `cells` with `workers` at a time. */
async function pool(cells: Cell[], workers: number, all: Line[]): Promise<void> {
  const queue = [...cells];
  const worker = async () => {
    for (let cell = queue.shift(); cell; cell = queue.shift()) {
      const { lines, ms, output } = await runCell(cell);
      all.push(...lines);
      const failed = lines.filter((l) => l.result === "fail").map((l) => l.workflow);
      const na = lines.filter((l) => l.result === "n/a").length;
      console.log(
        `${failed.length ? "FAILED" : "ok    "} ${cell.profile} ${cell.daemon} ${cell.gnupg}` +
          ` (${(ms / 1000).toFixed(1)} s${na ? `, ${na} n/a` : ""})` +
          (failed.length ? `: ${failed.join(", ")}` : ""),
      );
      // a failed cell's own output is the only record of why (CI has nothing else to read)
      if (failed.length) console.log(output);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

const MARK: Record<Result, string> = { pass: "✓", fail: "✗", "n/a": "n/a" };

/** The markdown table: one row per profile × workflow, one column per daemon × gnupg. */
function table(lines: Line[], profiles: string[]): string {
  const get = (p: string, w: string, d: string, g: string) =>
    lines.find((l) => l.profile === p && l.workflow === w && l.daemon === d && l.gnupg === g);
  const head = `| profile | workflow | ${COLUMNS.map(([d, g]) => `${d} ${g}`).join(" | ")} |`;
  const rule = `| --- | --- | ${COLUMNS.map(() => "---").join(" | ")} |`;
  const rows = profiles.flatMap((p) =>
    SMOKE_WORKFLOWS.map((w) => {
      const cells = COLUMNS.map(([d, g]) => {
        const l = get(p, w, d, g);
        return l ? MARK[l.result] : "–";
      });
      return `| ${p} | ${w} | ${cells.join(" | ")} |`;
    })
  );
  return [head, rule, ...rows].join("\n");
}

/** Rewrites the part of docs/cards.md between the markers (appends a section if absent). */
async function writeDoc(text: string): Promise<void> {
  let doc = await Deno.readTextFile(DOC).catch(() => "# Cards\n");
  const block = `${BEGIN}\n\n${text}\n\n${END}`;
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  doc = b >= 0 && e > b
    ? doc.slice(0, b) + block + doc.slice(e + END.length)
    : `${doc.trimEnd()}\n\n## Workflows per profile\n\n${block}\n`;
  await Deno.writeTextFile(DOC, doc);
  await new Deno.Command(Deno.execPath(), { args: ["fmt", DOC], stdout: "null", stderr: "null" })
    .output();
}

/**
 * scd-ts ✗ where stock did not fail on the same profile and gnupg version (✓, or n/a for a
 * workflow only scd-ts promises, such as PIN isolation).
 */
function regressions(lines: Line[]): Line[] {
  return lines.filter((l) =>
    l.daemon === "scd-ts" && l.result === "fail" &&
    !lines.some((s) =>
      s.daemon === "stock" && s.profile === l.profile && s.gnupg === l.gnupg &&
      s.workflow === l.workflow && s.result === "fail"
    )
  );
}

async function main(): Promise<number> {
  let profiles = option("--profiles")?.split(",") ?? Object.keys(PROFILES);
  if (Deno.args.includes("--except-default")) {
    profiles = profiles.filter((p) => p !== DEFAULT_PROFILE);
  }
  const daemons = option("--daemons")?.split(",") ?? ["stock", "scd-ts"];
  const versions = option("--gnupg")?.split(",") ?? ["2.2", "2.4"];
  const cells = (g: string) =>
    profiles.flatMap((profile) => daemons.map((daemon) => ({ profile, daemon, gnupg: g })));
  const started = Date.now();
  const lines: Line[] = [];
  await Promise.all([
    versions.includes("2.2") ? pool(cells("2.2"), 2, lines) : Promise.resolve(),
    versions.includes("2.4") ? pool(cells("2.4"), 1, lines) : Promise.resolve(),
  ]);
  const text = table(lines, profiles);
  console.log(`\n${text}\n`);
  console.log(`profile matrix: ${(Date.now() - started) / 1000} s wall`);
  if (Deno.args.includes("--write")) await writeDoc(text);
  const json = option("--json");
  if (json) await Deno.writeTextFile(json, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const bad = regressions(lines);
  for (const l of bad) {
    console.log(`scd-ts fails where stock passes: ${l.profile} ${l.gnupg} ${l.workflow}`);
  }
  return bad.length > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());

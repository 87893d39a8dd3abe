/**
 * `deno task ci`: every suite CI runs, one after another, with a per-suite summary and a
 * last line `N passed, N failed` (tests, not steps; fmt/lint/check count as one test each).
 * Exits non-zero when anything failed.
 *
 * The e2e matrix is SCD_E2E_GNUPG × SCD_E2E_DAEMON; the daemon list defaults to
 * {@linkcode E2E_DAEMONS} and can be overridden with SCD_CI_DAEMONS=stock,scd-ts. The fault
 * matrix (tests/e2e/faults/, docs/reliability.md) runs last, on gnupg 2.2 for
 * {@linkcode FAULT_DAEMONS} (SCD_CI_FAULT_DAEMONS overrides; stock's columns are recorded, not
 * asserted, so CI leaves them to the documented runs) with SCD_FAULT_REPEAT=5.
 *
 * @module
 */

/** gnupg versions of the e2e matrix. */
export const E2E_GNUPG = ["2.2", "2.4"] as const;
/** Smartcard daemons of the e2e matrix (scd-ts runs every workflow on 2.2 and 2.4). */
export const E2E_DAEMONS = ["stock", "scd-ts"];

/** Daemons the fault matrix runs for in CI (gnupg 2.2). */
export const FAULT_DAEMONS = ["scd-ts"];

/** Pass/fail counts of one suite. */
export interface SuiteCounts {
  passed: number;
  failed: number;
  /** Tests deno reported as ignored (neither passed nor failed). */
  ignored: number;
}

/**
 * Reads a `deno test` summary line (`ok | 3 passed (2 steps) | 0 failed` or
 * `FAILED | 1 passed | 2 failed (1 step) | 1 ignored`); undefined when there is none.
 */
export function parseDenoTestSummary(output: string): SuiteCounts | undefined {
  const plain = output.replace(new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"), "");
  let found: SuiteCounts | undefined;
  for (const line of plain.split("\n")) {
    const m = /^(ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(line.trim());
    if (m === null) continue;
    const ignored = /\| (\d+) ignored/.exec(line);
    found = { passed: Number(m[2]), failed: Number(m[3]), ignored: Number(ignored?.[1] ?? 0) };
  }
  return found;
}

interface Suite {
  name: string;
  args: string[];
  env?: Record<string, string>;
  /** "single": one test, passes when the exit code is 0; "deno-test": parse the summary. */
  kind: "single" | "deno-test";
}

async function runSuite(suite: Suite): Promise<SuiteCounts & { code: number; ms: number }> {
  console.log(`\n=== ${suite.name}: deno ${suite.args.join(" ")}`);
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: suite.args,
    env: { NO_COLOR: "1", ...suite.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  async function tee(stream: ReadableStream<Uint8Array>, out: typeof Deno.stdout) {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      chunks.push(dec.decode(chunk, { stream: true }));
      await out.write(chunk);
    }
  }
  const [status] = await Promise.all([
    child.status,
    tee(child.stdout, Deno.stdout),
    tee(child.stderr, Deno.stderr),
  ]);
  const ms = Date.now() - started;
  if (suite.kind === "single") {
    const ok = status.code === 0;
    return { passed: ok ? 1 : 0, failed: ok ? 0 : 1, ignored: 0, code: status.code, ms };
  }
  const counts = parseDenoTestSummary(chunks.join(""));
  if (counts === undefined) {
    // no summary: the run broke before or while testing (type error, crash)
    return { passed: 0, failed: 1, ignored: 0, code: status.code, ms };
  }
  // A non-zero exit with no failed test (e.g. a leak or an unhandled error) still fails.
  const extra = status.code !== 0 && counts.failed === 0 ? 1 : 0;
  return { ...counts, failed: counts.failed + extra, code: status.code, ms };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<number> {
  const root = new URL("../", import.meta.url).pathname;
  Deno.chdir(root);
  const suites: Suite[] = [
    { name: "fmt", args: ["fmt", "--check"], kind: "single" },
    { name: "lint", args: ["lint"], kind: "single" },
    { name: "lint:layers", args: ["task", "lint:layers"], kind: "single" },
    { name: "check", args: ["task", "check"], kind: "single" },
    { name: "unit", args: ["task", "test"], kind: "deno-test" },
    { name: "fuzz", args: ["task", "fuzz"], kind: "deno-test" },
    { name: "bundle", args: ["task", "bundle:check"], kind: "single" },
    // the soak tool on the in-process card (real readers: deno task soak --reader R)
    {
      name: "soak (virtual card)",
      args: ["task", "soak", "--virtual", "--count", "50"],
      kind: "single",
    },
  ];
  if (await exists("tests/pcsc")) {
    suites.push({ name: "pcsc", args: ["task", "test:pcsc"], kind: "deno-test" });
  }
  const daemons = (Deno.env.get("SCD_CI_DAEMONS") ?? E2E_DAEMONS.join(","))
    .split(",").map((d) => d.trim()).filter((d) => d !== "");
  // the e2e runs capture each workflow's traffic for the conformance diff (docs/conformance.md)
  const captures = await Deno.makeTempDir({ prefix: "scd-ts-conformance-" });
  for (const gnupg of E2E_GNUPG) {
    for (const daemon of daemons) {
      suites.push({
        name: `e2e gnupg ${gnupg} ${daemon}`,
        args: ["task", "e2e"],
        env: { SCD_E2E_GNUPG: gnupg, SCD_E2E_DAEMON: daemon, SCD_E2E_CAPTURE_DIR: captures },
        kind: "deno-test",
      });
    }
  }
  if (daemons.includes("stock") && daemons.includes("scd-ts")) {
    suites.push({ name: "conformance", args: ["task", "conformance", captures], kind: "single" });
  }
  const faultDaemons = (Deno.env.get("SCD_CI_FAULT_DAEMONS") ?? FAULT_DAEMONS.join(","))
    .split(",").map((d) => d.trim()).filter((d) => d !== "");
  for (const daemon of faultDaemons) {
    suites.push({
      name: `faults gnupg 2.2 ${daemon}`,
      args: ["task", "faults"],
      env: { SCD_E2E_GNUPG: "2.2", SCD_E2E_DAEMON: daemon, SCD_FAULT_REPEAT: "5" },
      kind: "deno-test",
    });
  }
  const results: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const suite of suites) {
    const r = await runSuite(suite);
    passed += r.passed;
    failed += r.failed;
    const ignored = r.ignored > 0 ? `, ${r.ignored} ignored` : "";
    results.push(
      `${
        r.failed === 0 ? "ok    " : "FAILED"
      } ${suite.name}: ${r.passed} passed, ${r.failed} failed${ignored} (exit ${r.code}, ${
        (r.ms / 1000).toFixed(1)
      } s)`,
    );
  }
  console.log("\n=== summary");
  for (const line of results) console.log(line);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main());
}

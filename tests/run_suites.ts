/**
 * `deno task ci`: every suite CI runs, in parallel {@linkcode LANES} (suites of a lane one after
 * another), each suite's output printed in one piece when it ends, then a per-suite summary with
 * times and a last line `N passed, N failed` (tests, not steps; fmt/lint/check count as one test
 * each). Exits non-zero when anything failed. SCD_CI_ONLY=REGEX runs only the suites whose name
 * matches (for trying the runner; CI runs all).
 *
 * The e2e matrix is SCD_E2E_GNUPG × SCD_E2E_DAEMON; the daemon list defaults to
 * {@linkcode E2E_DAEMONS} and can be overridden with SCD_CI_DAEMONS=stock,scd-ts. On gnupg 2.4.9
 * it runs {@linkcode E2E_249_SMOKE} unless SCD_CI_E2E_249=full. The fault
 * matrix (tests/e2e/faults/, docs/reliability.md) runs last, on gnupg 2.2 for
 * {@linkcode FAULT_DAEMONS} (SCD_CI_FAULT_DAEMONS overrides; stock's columns are recorded, not
 * asserted, so CI leaves them to the documented runs) with SCD_FAULT_REPEAT=5.
 *
 * @module
 */

import { exists } from "./support/fixtures.ts";

/** gnupg versions of the e2e matrix: 2.2.40 (host), 2.4.7 (trixie chroot), 2.4.9 (sid chroot). */
export const E2E_GNUPG = ["2.2", "2.4", "2.4.9"] as const;
/** The lane of each version's e2e suites: its pcscd (see {@linkcode LANES}). */
const GNUPG_LANE: Record<typeof E2E_GNUPG[number], Lane> = {
  "2.2": "host",
  "2.4": "chroot",
  "2.4.9": "sid",
};
/**
 * The e2e files CI runs on gnupg 2.4.9 (SCD_CI_E2E_249=full runs all of tests/e2e/, as on 2.2
 * and 2.4): every workflow the conformance diff requires (card status, keygen, ssh, PINs,
 * keytocard, KDF, the direct command check), the version check, card-status against stock and
 * 2.4's multi-card commands.
 * The whole set took about 11 minutes per daemon on 2.4.9 here, this set about 4
 * (docs/development.md).
 */
export const E2E_249_SMOKE = [
  "tests/e2e/card_status_test.ts",
  "tests/e2e/keygen_test.ts",
  "tests/e2e/ssh_test.ts",
  "tests/e2e/pin_test.ts",
  "tests/e2e/keytocard_test.ts",
  "tests/e2e/kdf_test.ts",
  "tests/e2e/version_test.ts",
  "tests/e2e/scd_ts_vs_stock_test.ts",
  "tests/e2e/multi_card_test.ts",
  "tests/e2e/direct_commands_test.ts",
];
/** Smartcard daemons of the e2e matrix (scd-ts runs every workflow on each version). */
export const E2E_DAEMONS = ["stock", "scd-ts"];

/** Daemons the fault matrix runs for in CI (gnupg 2.2). */
export const FAULT_DAEMONS = ["scd-ts"];

/**
 * The bundle's suites (docs/development.md "Test"): built once, then run like the binary. One
 * lane, in order: each needs the bundle the first one writes; the e2e smoke takes a host vpcd
 * slot and tests/cli a pcscd of its own, like tests/pcsc.
 */
function userSuites(bundle: string): Suite[] {
  const smoke = ["tests/e2e/card_status_test.ts", "tests/e2e/keygen_test.ts"];
  const suites: Suite[] = [
    { name: "bundle build", args: ["task", "bundle"], kind: "single" },
    { name: "demo (bundle)", args: ["run", "-A", bundle, "demo"], kind: "single" },
    {
      name: "cli (bundle)",
      args: ["test", "--quiet", "-A", "tests/cli/"],
      env: { SCD_CLI_MAIN: bundle },
      kind: "deno-test",
    },
    {
      name: "e2e smoke (bundle) gnupg 2.2 scd-ts",
      args: ["test", "--quiet", "-A", ...smoke],
      env: { SCD_E2E_DAEMON: "scd-ts", SCD_E2E_GNUPG: "2.2", SCD_E2E_SCD_TS_MAIN: bundle },
      kind: "deno-test",
    },
  ];
  return suites.map((s) => ({ ...s, lane: "host" }));
}

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
  /**
   * Suites of one lane run one after another; lanes run side by side (see {@linkcode LANES}).
   * Default "static".
   */
  lane?: Lane;
}

/**
 * The lanes CI runs in parallel, chosen by what the suites share: "static" is CPU only (no
 * pcscd); "host" uses the machine's pcscd (gnupg 2.2 e2e takes one vpcd slot per file, the fault
 * suite after it); "chroot" uses the trixie chroot's pcscd (gnupg 2.4 locks it whole), "sid" the
 * sid chroot's (gnupg 2.4.9: its own pcscd and vpcd ports, so it may run beside "chroot"). "final"
 * starts when all others are done (steps that read what the others produced).
 */
export const LANES = ["static", "host", "chroot", "sid", "final"] as const;
/** One of {@linkcode LANES}. */
export type Lane = typeof LANES[number];

/**
 * Runs one suite with its output buffered and printed in one piece when it ends, so suites of
 * parallel lanes do not interleave.
 */
async function runSuite(suite: Suite): Promise<SuiteCounts & { code: number; ms: number }> {
  console.log(`--- start ${suite.name}`);
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: suite.args,
    env: { NO_COLOR: "1", ...suite.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  async function collect(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) chunks.push(dec.decode(chunk, { stream: true }));
  }
  const [status] = await Promise.all([child.status, collect(child.stdout), collect(child.stderr)]);
  const ms = Date.now() - started;
  console.log(`\n=== ${suite.name}: deno ${suite.args.join(" ")}\n${chunks.join("")}`);
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
    // issue 23: SoftHSM2 tokens made by softhsm2-util/pkcs11-tool, in-process daemon
    { name: "pkcs11 (SoftHSM2)", args: ["task", "test:pkcs11"], kind: "deno-test" },
    { name: "bundle", args: ["task", "bundle:check"], kind: "single" },
    // the soak tool on the in-process card (real readers: deno task soak --reader R)
    {
      name: "soak (virtual card)",
      args: ["task", "soak", "--virtual", "--count", "50"],
      kind: "single",
    },
  ];
  // issue 13: the single-file build as users get it — the demo, the user commands' tests
  // and the e2e smoke workflows (card-status, sign, decrypt) against dist/scd-ts.js
  suites.push(...userSuites(`${root}dist/scd-ts.js`));
  if (await exists("tests/pcsc")) {
    // its own private pcscd (tests/pcsc/_bed.ts), so it may share the host lane's time
    suites.push({ name: "pcsc", args: ["task", "test:pcsc"], kind: "deno-test", lane: "host" });
  }
  const daemons = (Deno.env.get("SCD_CI_DAEMONS") ?? E2E_DAEMONS.join(","))
    .split(",").map((d) => d.trim()).filter((d) => d !== "");
  // the e2e runs capture each workflow's traffic for the conformance diff (docs/conformance.md)
  const captures = await Deno.makeTempDir({ prefix: "scd-ts-conformance-" });
  const full249 = Deno.env.get("SCD_CI_E2E_249") === "full";
  for (const gnupg of E2E_GNUPG) {
    const smoke = gnupg === "2.4.9" && !full249;
    for (const daemon of daemons) {
      suites.push({
        name: `e2e${smoke ? " smoke" : ""} gnupg ${gnupg} ${daemon}`,
        args: smoke ? ["test", "--quiet", "-A", ...E2E_249_SMOKE] : ["task", "e2e"],
        env: { SCD_E2E_GNUPG: gnupg, SCD_E2E_DAEMON: daemon, SCD_E2E_CAPTURE_DIR: captures },
        kind: "deno-test",
        lane: GNUPG_LANE[gnupg],
      });
    }
  }
  if (daemons.includes("stock") && daemons.includes("scd-ts")) {
    suites.push({
      name: "conformance",
      args: ["task", "conformance", captures],
      kind: "single",
      lane: "final",
    });
  }
  // the smoke set on every other card profile, stock and scd-ts (docs/cards.md "Workflows per
  // profile"; fails when scd-ts fails where stock does not): 2.2 two cells at a time on the
  // host's two vpcd slots, 2.4 one at a time on the chroot's pcscd (2.4.9: the default profile
  // only, in the e2e suites above)
  for (const gnupg of ["2.2", "2.4"] as const) {
    suites.push({
      name: `profile smoke gnupg ${gnupg} (non-default profiles)`,
      args: ["run", "-A", "tests/e2e/profile_matrix.ts", "--except-default", "--gnupg", gnupg],
      kind: "single",
      lane: GNUPG_LANE[gnupg],
    });
  }
  const faultDaemons = (Deno.env.get("SCD_CI_FAULT_DAEMONS") ?? FAULT_DAEMONS.join(","))
    .split(",").map((d) => d.trim()).filter((d) => d !== "");
  for (const daemon of faultDaemons) {
    suites.push({
      name: `faults gnupg 2.2 ${daemon}`,
      args: ["task", "faults"],
      env: { SCD_E2E_GNUPG: "2.2", SCD_E2E_DAEMON: daemon, SCD_FAULT_REPEAT: "5" },
      kind: "deno-test",
      lane: "host",
    });
  }
  const only = Deno.env.get("SCD_CI_ONLY");
  if (only) suites.splice(0, suites.length, ...suites.filter((s) => new RegExp(only).test(s.name)));
  const results = new Map<Suite, string>();
  let passed = 0;
  let failed = 0;
  async function runLane(lane: Lane) {
    for (const suite of suites.filter((s) => (s.lane ?? "static") === lane)) {
      const r = await runSuite(suite);
      passed += r.passed;
      failed += r.failed;
      const ignored = r.ignored > 0 ? `, ${r.ignored} ignored` : "";
      const verdict = r.failed === 0 ? "ok    " : "FAILED";
      const seconds = (r.ms / 1000).toFixed(1);
      results.set(
        suite,
        `${verdict} [${lane}] ${suite.name}: ${r.passed} passed, ${r.failed} failed${ignored} ` +
          `(exit ${r.code}, ${seconds} s)`,
      );
    }
  }
  const started = Date.now();
  await Promise.all(LANES.filter((l) => l !== "final").map(runLane));
  await runLane("final");
  console.log("\n=== summary");
  for (const suite of suites) console.log(results.get(suite));
  console.log(`wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main());
}

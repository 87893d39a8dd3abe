/**
 * Runs `scd-ts ARGS` the way a user does (`deno run -A main.ts …`, or the bundle when
 * SCD_CLI_MAIN names one) and parses `--json` output.
 * @module
 */

import { REPO_ROOT } from "../bed/vcard.ts";

/** The module the CLI tests run: main.ts, or SCD_CLI_MAIN (e.g. dist/scd-ts.js). */
export const CLI_MAIN = Deno.env.get("SCD_CLI_MAIN") ?? `${REPO_ROOT}/main.ts`;

/** Result of one run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scd-ts with `args` and extra environment. */
export async function scdTs(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI_MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs scd-ts with `--json` appended and parses stdout. */
export async function scdTsJson<T>(args: string[], env: Record<string, string> = {}) {
  const r = await scdTs([...args, "--json"], env);
  let json: T;
  try {
    json = JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(
      `scd-ts ${args.join(" ")} printed no JSON (exit ${r.code}):\n${r.stdout}${r.stderr}`,
    );
  }
  return { ...r, json };
}

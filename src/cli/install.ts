/**
 * `scd-ts install` / `scd-ts uninstall`: point gpg-agent of `$GNUPGHOME` at scd-ts (or back at
 * stock scdaemon) by editing only the `scdaemon-program` line of gpg-agent.conf (replaced
 * atomically, keeping its mode; the file as it was before the first install is kept as a
 * backup), restart gpg-agent (and with it the smartcard daemon), and check through
 * `gpg-connect-agent 'SCD GETINFO version'` which daemon answers now. Idempotent.
 * @module
 */

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { processEnv as env, resolveHomedir } from "../scd/mod.ts";
import { replaceFileSync } from "../util/private_file.ts";
import { withoutScdTs, withScdTs, wrapperScript } from "./agent_conf.ts";
import { run } from "./gnupg.ts";
import { paint, printJson, UsageError } from "./output.ts";

/** The wrapper install writes when scd-ts runs from source or a bundle (not compiled). */
export const WRAPPER_NAME = "scd-ts-wrapper.sh";

/** True when this process is the `deno compile` binary rather than `deno run …`. */
export function isCompiled(): boolean {
  return !/(^|\/)deno(\.exe)?$/.test(Deno.execPath());
}

/**
 * The program gpg-agent should start: the binary itself, or a wrapper script that runs this
 * module with deno (gpg-agent execs scdaemon-program without a PATH search or arguments).
 */
function programFor(homedir: string): { program: string; wrapper: boolean } {
  if (isCompiled()) return { program: Deno.execPath(), wrapper: false };
  const script = wrapperScript([Deno.execPath(), "run", "-A", "--quiet", mainPath()], {
    comment: "written by scd-ts install; removed by scd-ts uninstall",
  });
  const path = `${homedir}/${WRAPPER_NAME}`;
  replaceFileSync(path, new TextEncoder().encode(script), 0o755);
  return { program: path, wrapper: true };
}

/** The file deno runs as this program (a URL's pathname would keep `%20` for a space). */
export function mainPath(): string {
  return fileURLToPath(Deno.mainModule);
}

/**
 * Writes gpg-agent.conf's new text (`null`: remove it) without a moment where gpg-agent could
 * read half a file: a fresh temporary file in the same directory, synced, renamed over it.
 * The file keeps its mode (a 0644 file stays 0644; a new one is 0600). Before the first change
 * the old text goes to `backup`, and a backup that exists is never replaced: after several
 * installs it still holds the file as it was before scd-ts.
 */
async function writeConf(
  conf: string,
  before: string | null,
  after: string | null,
): Promise<string | null> {
  const backup = `${conf}.scd-ts-backup`;
  const mode = before === null ? 0o600 : (await Deno.stat(conf)).mode! & 0o7777;
  let kept = false;
  if (before !== null) {
    try {
      await Deno.writeTextFile(backup, before, { createNew: true, mode: mode & 0o600 });
      await Deno.chmod(backup, mode);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    kept = true;
  }
  if (after === null) await Deno.remove(conf);
  else replaceFileSync(conf, new TextEncoder().encode(after), mode);
  return kept || await exists(backup) ? backup : null;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Which daemon answers gpg-agent's SCD commands now: its GETINFO version and pid. */
export async function askAgent(
  homedir: string,
): Promise<{ version?: string; pid?: number; error?: string }> {
  const r = await run("gpg-connect-agent", [
    "--homedir",
    homedir,
    "SCD GETINFO version",
    "SCD GETINFO pid",
    "/bye",
  ], { env: { GNUPGHOME: homedir }, timeoutMs: 30000 });
  const data = r.stdout.split("\n").filter((l) => l.startsWith("D ")).map((l) => l.slice(2));
  if (data.length < 2) return { error: (r.stdout + r.stderr).trim() || `exit ${r.code}` };
  return { version: data[0]!, pid: Number(data[1]) };
}

/**
 * Whether the process `pid` is scd-ts: its executable is deno or the scd-ts binary, not
 * stock's `scdaemon` (Linux /proc; undefined where there is none). The command line is no
 * help: stock's carries `--homedir`, which may contain anything.
 */
function runsScdTs(pid: number): boolean | undefined {
  try {
    return !/(^|\/)scdaemon$/.test(Deno.readLinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}

/**
 * Restarts gpg-agent (it starts again on the next use, reading gpg-agent.conf). Reloading is
 * not enough: gpg-agent 2.2.40 answers every SCD command after its scdaemon was killed with
 * "Broken pipe" (seen with stock scdaemon as with scd-ts), so the agent goes with it. This
 * drops the agent's cached passphrases, as `gpgconf --kill gpg-agent` always does.
 */
async function restartAgent(homedir: string): Promise<void> {
  await run("gpgconf", ["--homedir", homedir, "--kill", "gpg-agent"], {
    env: { GNUPGHOME: homedir },
  });
}

/** Runs `install` or `uninstall`; exit 0 when gpg-agent now runs what was asked. */
export async function runInstall(verb: "install" | "uninstall", argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      homedir: { type: "string" },
      json: { type: "boolean", default: false },
      "no-check": { type: "boolean", default: false },
    },
  });
  const homedir = resolveHomedir(values.homedir, { env, cwd: Deno.cwd() });
  await Deno.stat(homedir).catch(() => {
    throw new UsageError(`GnuPG home ${homedir} does not exist (run gpg once, or pass --homedir)`);
  });
  const conf = `${homedir}/gpg-agent.conf`;
  const before = await readOrNull(conf);
  let after: string | null;
  let program: string | undefined;
  if (verb === "install") {
    ({ program } = programFor(homedir));
    after = withScdTs(before, program);
  } else {
    after = withoutScdTs(before).text;
    await Deno.remove(`${homedir}/${WRAPPER_NAME}`).catch(() => {});
  }
  const changed = after !== before;
  const backup = changed ? await writeConf(conf, before, after) : null;
  await restartAgent(homedir);
  const answer = values["no-check"] ? undefined : await askAgent(homedir);
  // undefined: no /proc to tell (macOS); then the answer itself has to do
  const scdTs = answer?.pid === undefined ? false : runsScdTs(answer.pid);
  const isScdTs = scdTs === true;
  const ok = answer === undefined ||
    (verb === "install" ? answer.error === undefined && scdTs !== false : !isScdTs);
  const result = {
    verb,
    homedir,
    conf,
    changed,
    program: program ?? null,
    backup,
    answered: answer ?? null,
    scdTsAnswers: answer === undefined ? null : isScdTs,
    ok,
  };
  if (values.json) printJson(result);
  else {
    console.log(
      `${changed ? "Updated" : "Already up to date:"} ${conf}${
        result.backup ? ` (previous file: ${result.backup})` : ""
      }`,
    );
    if (answer?.error !== undefined) {
      console.log(`${paint("red", "✗")} gpg-connect-agent 'SCD GETINFO version': ${answer.error}`);
    } else if (answer !== undefined) {
      const who = isScdTs ? "scd-ts" : "stock scdaemon";
      console.log(
        `${
          ok ? paint("green", "✓") : paint("red", "✗")
        } gpg-agent's smartcard daemon now: ${who} (version ${answer.version}, pid ${answer.pid})`,
      );
    }
  }
  return ok ? 0 : 1;
}

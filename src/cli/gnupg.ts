/**
 * What the user commands ask gnupg and the system: gpg's version, which `scdaemon-program`
 * gpg-agent.conf names, whether a program is scd-ts, stock scdaemon processes, and
 * `gpg-connect-agent` round trips.
 * @module
 */

/** Output of a finished command; code -1 when it could not be started. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `program args` with a time bound; never throws. */
export async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  try {
    const child = new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(options.env ? { env: options.env } : {}),
    }).spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, options.timeoutMs ?? 15000);
    const out = await child.output();
    clearTimeout(timer);
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { code: -1, stdout: "", stderr: (e as Error).message };
  }
}

/** `gpg --version`'s number, e.g. "2.2.40"; undefined when gpg is missing. */
export async function gpgVersion(): Promise<string | undefined> {
  const r = await run("gpg", ["--version"]);
  return /^gpg \(GnuPG\) (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
}

/** The (last) `scdaemon-program` of `<homedir>/gpg-agent.conf`, as gpg-agent reads it. */
export async function agentProgram(homedir: string): Promise<{ path: string | undefined }> {
  const text = await Deno.readTextFile(`${homedir}/gpg-agent.conf`).catch(() => "");
  let path: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^\s*scdaemon-program\s+(.+?)\s*$/.exec(line);
    if (m) path = m[1]!.replace(/^"(.*)"$/, "$1");
  }
  return { path };
}

/** True when `program --version` says it is scd-ts. */
export async function isScdTs(program: string): Promise<boolean> {
  const r = await run(program, ["--version"], { timeoutMs: 20000 });
  return r.code === 0 && r.stdout.startsWith("scd-ts ");
}

/** PIDs of running stock scdaemon processes (Linux /proc; [] elsewhere). */
export function stockScdaemonPids(): number[] {
  const pids: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(entry.name)) continue;
      try {
        if (Deno.readTextFileSync(`/proc/${entry.name}/comm`).trim() === "scdaemon") {
          pids.push(Number(entry.name));
        }
      } catch { /* gone or not ours */ }
    }
  } catch { /* no /proc */ }
  return pids;
}

/** Stock scdaemon's path as `gpgconf --list-components` names it; undefined without gpgconf. */
export async function stockScdaemonPath(): Promise<string | undefined> {
  const r = await run("gpgconf", ["--list-components"]);
  return /^scdaemon:[^:]*:(.+)$/m.exec(r.stdout)?.[1]?.trim();
}

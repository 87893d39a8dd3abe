/**
 * What `GETINFO version` answers when `compat-version` is not set: the version of the gnupg
 * installation that started this daemon, i.e. of the gpg-agent that is its parent process.
 *
 * Why: gpg asks `SCD GETINFO version` through the agent before a card operation and compares
 * the answer with its own version (gpg/gnupg:g10/call-agent.c `start_agent` →
 * common/asshelp.c `warn_server_version_mismatch`); a lower answer prints "server 'scdaemon'
 * is older than us" and the status `WARNING server_version_mismatch 0`. Stock scdaemon answers
 * its own version, which is the agent's (one installation); scd-ts answers the agent's too.
 * The lookup runs once, at the first `GETINFO version` (gpg-agent never asks; only a card
 * operation of gpg does), so starting the daemon costs nothing.
 * @module
 */

import { getLog } from "../log.ts";
import { DEFAULT_COMPAT_VERSION as FALLBACK_VERSION } from "./config.ts";

const log = getLog("scd");

/** How {@linkcode agentVersion} reaches the system; tests replace it. */
export interface AgentProbe {
  /** The parent's executable (`/proc/<ppid>/exe`), undefined when unreadable. */
  parentExe(): string | undefined;
  /** Runs `program --version`; its stdout, undefined when it fails. */
  versionOutput(program: string): Promise<string | undefined>;
}

/** The real system: `/proc` and a 5 s bounded `--version` run. */
export const SYSTEM_PROBE: AgentProbe = {
  parentExe() {
    try {
      return Deno.readLinkSync(`/proc/${Deno.ppid}/exe`);
    } catch {
      return undefined;
    }
  },
  async versionOutput(program) {
    try {
      const child = new Deno.Command(program, {
        args: ["--version"],
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      const out = await child.output().finally(() => clearTimeout(timer));
      return out.success ? new TextDecoder().decode(out.stdout) : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * The version in a `gpg-agent --version` first line (`gpg-agent (GnuPG) 2.4.9`, also
 * `gpg-agent (GnuPG/MacGPG2) 2.2.41`), undefined when it is not one.
 */
export function parseAgentVersion(output: string): string | undefined {
  const first = output.split("\n", 1)[0] ?? "";
  return /^gpg-agent \([^)]*\) (\d+\.\d+\.\d+)/.exec(first)?.[1];
}

/**
 * The parent gpg-agent's version, else `DEFAULT_COMPAT_VERSION` (no gpg-agent parent:
 * `--daemon`, `--server` by hand, or its version unreadable). The parent must be a
 * gpg-agent (by file name): another parent (a shell, init after `--daemon`) says nothing about
 * the gpg in use. A binary replaced by an upgrade reads as "… (deleted)"; the file now at that
 * path is the installation the next gpg comes from, so it is asked.
 */
export async function agentVersion(probe: AgentProbe = SYSTEM_PROBE): Promise<string> {
  const exe = probe.parentExe()?.replace(/ \(deleted\)$/, "");
  if (exe === undefined || !/(^|\/)gpg-agent$/.test(exe)) {
    log.debug("GETINFO version: parent is not gpg-agent ({exe}); answering {v}", {
      exe: exe ?? "unknown",
      v: FALLBACK_VERSION,
    });
    return FALLBACK_VERSION;
  }
  const version = parseAgentVersion(await probe.versionOutput(exe) ?? "");
  if (version === undefined) {
    log.info("Cannot read the version of {exe}; GETINFO version answers {v}", {
      exe,
      v: FALLBACK_VERSION,
    });
    return FALLBACK_VERSION;
  }
  return version;
}

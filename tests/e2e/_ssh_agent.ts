/**
 * Bed pieces for `scd-ts ssh-agent` end to end (issue 22): the agent as its own process on
 * the test's card (real pcscd), a real `sshd` on 127.0.0.1 with its own config and host
 * key, and OpenSSH/git runs against them. Everything started here is ended by PID.
 *
 * The agent tests run once in the e2e matrix (gnupg 2.2, SCD_E2E_DAEMON=scd-ts): the agent
 * speaks to OpenSSH, not to gpg-agent, so the gnupg version changes nothing; gpg only
 * generates the keys and, in the coexistence test, runs beside it through scd-ts.
 * @module
 */

import { ok as assert } from "node:assert/strict";
import { type ProcResult, spawnCaptured, type Spawned } from "../bed/procs.ts";
import { sshArgs, type Sshd } from "../bed/sshd.ts";
import { REPO_ROOT } from "../bed/vcard.ts";
import { type CardContext, DAEMON, GNUPG, READER } from "./_fixture.ts";

/** True in the one matrix cell that runs the agent tests. */
export const AGENT_CELL = DAEMON === "scd-ts" && GNUPG === "2.2";

export { sshArgs, type Sshd, startSshd } from "../bed/sshd.ts";
/** Deno's cache for a child whose HOME is the test's home. */
export const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
const MAIN = Deno.env.get("SCD_E2E_SCD_TS_MAIN") ?? `${REPO_ROOT}/main.ts`;

/** Runs a tool in the test's home with extra environment (CardContext.run has this shape). */
export interface Runner {
  run(
    cmd: string,
    args: string[],
    options?: { stdin?: string; env?: Record<string, string> },
  ): Promise<ProcResult>;
}

/** A running `scd-ts ssh-agent`. */
export interface Agent {
  proc: Spawned;
  sock: string;
  /** Environment for OpenSSH tools: SSH_AUTH_SOCK of this agent. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts `scd-ts ssh-agent -D` for `c`'s home (its gpg-agent.conf names the test pinentry)
 * on `reader` (default: the test's reader; "" for every reader).
 */
export async function startAgent(
  c: { home: { path: string } },
  options: { reader?: string; args?: string[] } = {},
): Promise<Agent> {
  const sock = `${c.home.path}/ssh-agent.sock`;
  const reader = options.reader ?? READER;
  const proc = spawnCaptured(
    Deno.execPath(),
    ["run", "-A", "--quiet", MAIN, "ssh-agent", "-D", "-a", sock, ...(options.args ?? [])],
    {
      clearEnv: true,
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: c.home.path,
        GNUPGHOME: c.home.path,
        DENO_DIR,
        SCD_TS_LOG_LEVEL: "debug",
        ...(reader === "" ? {} : { SCD_TS_READER: reader }),
      },
    },
  );
  await proc.waitForLine(/^SSH_AUTH_SOCK=/, 30000);
  return { proc, sock, env: { SSH_AUTH_SOCK: sock }, stop: () => proc.stop() };
}

/** `ssh` to `sshd` as this user with the agent's keys only; runs `echo logged-in`. */
export async function sshLogin(c: Runner, agent: Agent, sshd: Sshd): Promise<ProcResult> {
  return await c.run("ssh", sshArgs(sshd, ["echo", "logged-in"]), { env: agent.env });
}

/** The lines `ssh-add -L` prints (`<type> <blob> <comment>`). */
export async function listed(c: Runner, agent: Agent): Promise<string[]> {
  const r = await c.run("ssh-add", ["-L"], { env: agent.env });
  assert(r.code === 0, r.stderr + r.stdout);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** The auth key in OpenSSH form as gpg exports it: what ssh-add -L must list. */
export async function exportedKey(c: CardContext, authFpr: string): Promise<string> {
  const r = await c.gpg(["--export-ssh-key", `${authFpr}!`]);
  assert(r.code === 0, r.stderr);
  return r.stdout.trim().split(" ").slice(0, 2).join(" ");
}

/** Writes an askpass script answering `answer` (ssh-add -s, -x and -X ask through it). */
export async function askpass(c: CardContext, answer: string): Promise<Record<string, string>> {
  const path = await c.file("askpass.sh", `#!/bin/sh\nprintf '%s\\n' '${answer}'\n`);
  await Deno.chmod(path, 0o700);
  return { SSH_ASKPASS: path, SSH_ASKPASS_REQUIRE: "force", DISPLAY: ":0" };
}

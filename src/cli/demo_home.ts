/**
 * The demo's throwaway GnuPG home: gpg-agent.conf pointing at scd-ts with the built-in
 * virtual card in process (`reader virtual:STATEFILE`, no pcscd, no hardware) and a
 * non-interactive pinentry that answers with the virtual card's factory PINs (user 123456,
 * admin 12345678) — written for the demo only; it never prints a PIN. `gpg` runs against it
 * with `--command-fd` answers for the card-edit menus.
 *
 * The demo generates keys and tries a wrong PIN, so it must never reach a real card: its
 * children (gpg, gpgconf, ssh-add, git, and through gpg the agent and scd-ts) start with a
 * cleared environment — only {@linkcode INHERITED} passes — plus the demo's own GNUPGHOME and
 * `SCD_TS_READER`. The environment beats scd-ts.conf, so a user's exported `SCD_TS_READER`
 * would otherwise point the demo at their token (issue 17 H1). The wrapper gpg-agent runs
 * unsets every `SCD_TS_*` again, so a home kept with `--keep` stays on the virtual card too.
 * @module
 */

import { SCD_TS_VARIABLES } from "../scd/mod.ts";
import { FACTORY_PINS } from "../virtual/mod.ts";
import { shellQuote, wrapperScript } from "./agent_conf.ts";
import { isCompiled, mainPath } from "./install.ts";

/**
 * What the children inherit: PATH to find gpg and friends, HOME for ssh-add and gpg's
 * defaults, and where deno keeps its module cache (the wrapper runs deno when scd-ts is not a
 * compiled binary). Nothing else: no SCD_TS_*, no PCSCLITE_CSOCK_NAME, no GPG_TTY.
 */
const INHERITED = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"] as const;

function inherited(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED) {
    try {
      const value = Deno.env.get(name);
      if (value !== undefined) out[name] = value;
    } catch { /* not allowed: not passed */ }
  }
  return out;
}

/** The virtual card's factory PINs. */
const { user: USER_PIN, admin: ADMIN_PIN } = FACTORY_PINS;
/** What the pinentry answers once when told to (the demo's wrong-PIN step). */
const WRONG_PIN = "999999";

/** A POSIX sh pinentry: Admin PIN prompts get the admin PIN, others the user PIN. */
function pinentryScript(dir: string): string {
  return `#!/bin/sh
# scd-ts demo pinentry: answers with the virtual card's factory PINs, never asks a person.
# A file "wrong-pin-once" in the demo home makes the next answer a wrong PIN (then removed).
echo "OK scd-ts demo pinentry"
prompt=""
while IFS= read -r line; do
  case "$line" in
    SETPROMPT*) prompt=$line; echo OK ;;
    GETPIN*)
      if [ -f '${dir}/wrong-pin-once' ]; then rm -f '${dir}/wrong-pin-once'; pin=${WRONG_PIN}
      else case "$prompt" in *Admin*) pin=${ADMIN_PIN} ;; *) pin=${USER_PIN} ;; esac; fi
      echo "D $pin"; echo OK ;;
    BYE*) echo "OK closing connection"; exit 0 ;;
    *) echo OK ;;
  esac
done
`;
}

/** The result of one command. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** One demo home and the commands that run in it. */
export class DemoHome {
  readonly path: string;
  readonly #env: Record<string, string>;

  private constructor(path: string) {
    this.path = path;
    this.#env = { ...inherited(), ...DemoHome.#settings(path), GNUPGHOME: path, LC_ALL: "C" };
  }

  /** The demo's scd-ts settings, as environment (they beat any scd-ts.conf). */
  static #settings(path: string): Record<string, string> {
    return { SCD_TS_READER: `virtual:${path}/card.json`, SCD_TS_LOG: `${path}/scd-ts.log` };
  }

  /** Creates the home, the card state file, the pinentry and the scd-ts wrapper. */
  static async create(program: string | undefined): Promise<DemoHome> {
    const path = await Deno.makeTempDir({ prefix: "scd-ts-demo-" });
    await Deno.chmod(path, 0o700);
    const home = new DemoHome(path);
    await Deno.writeTextFile(`${path}/pinentry.sh`, pinentryScript(path), { mode: 0o755 });
    const scd = await home.#wrapper(program);
    await Deno.writeTextFile(
      `${path}/gpg-agent.conf`,
      `scdaemon-program ${scd}\npinentry-program ${path}/pinentry.sh\nenable-ssh-support\n`,
    );
    await Deno.writeTextFile(
      `${path}/scd-ts.conf`,
      `reader virtual:${path}/card.json\nlog ${path}/scd-ts.log\n`,
    );
    await Deno.writeTextFile(`${path}/gpg.conf`, "no-greeting\nkeyid-format long\n");
    return home;
  }

  /**
   * The script gpg-agent starts as scdaemon: `program`, else this binary, else deno running
   * this module; with every SCD_TS_* unset but the demo's own settings.
   */
  async #wrapper(program: string | undefined): Promise<string> {
    const command = program !== undefined
      ? [program]
      : isCompiled()
      ? [Deno.execPath()]
      : [Deno.execPath(), "run", "-A", "--quiet", mainPath()];
    const settings = Object.entries(DemoHome.#settings(this.path));
    const path = `${this.path}/scd-ts`;
    await Deno.writeTextFile(
      path,
      wrapperScript(command, {
        comment: "scd-ts demo: only the demo's settings reach the daemon",
        lines: [
          `unset ${SCD_TS_VARIABLES.join(" ")}`,
          `export ${settings.map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ")}`,
        ],
      }),
      { mode: 0o755 },
    );
    return path;
  }

  /** Makes the pinentry answer the next PIN prompt with a wrong PIN. */
  async wrongPinOnce(): Promise<void> {
    await Deno.writeTextFile(`${this.path}/wrong-pin-once`, "");
  }

  /** Runs a program with GNUPGHOME set; `stdin` is written and closed. */
  async run(
    program: string,
    args: string[],
    options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
  ): Promise<Ran> {
    const child = new Deno.Command(program, {
      args,
      clearEnv: true,
      env: { ...this.#env, ...options.env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      ...(options.cwd ? { cwd: options.cwd } : {}),
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin ?? "")).catch(() => {});
    await w.close().catch(() => {});
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  }

  /** gpg with a status fd on stderr. */
  gpg(args: string[], stdin?: string): Promise<Ran> {
    return this.run(
      "gpg",
      ["--batch", "--status-fd", "2", ...args],
      stdin === undefined ? {} : { stdin },
    );
  }

  /**
   * gpg's interactive menus through `--command-fd 0`: each `GET_LINE|GET_BOOL keyword` is
   * answered from `answers` (a queue per keyword), in the order gpg asks.
   */
  async interact(args: string[], answers: Record<string, string[]>): Promise<Ran> {
    const child = new Deno.Command("gpg", {
      args: ["--no-tty", "--command-fd", "0", "--status-fd", "2", ...args],
      clearEnv: true,
      env: this.#env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    const queues = new Map(Object.entries(answers).map(([k, v]) => [k, [...v]]));
    let stderr = "";
    let unanswered = "";
    const stdout = new Response(child.stdout).text();
    const dec = new TextDecoder();
    let pending = "";
    for await (const chunk of child.stderr) {
      const text = dec.decode(chunk, { stream: true });
      stderr += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /^\[GNUPG:\] GET_(?:LINE|BOOL|HIDDEN) (\S+)/.exec(line);
        if (m === null) continue;
        const answer = queues.get(m[1]!)?.shift();
        if (answer === undefined) {
          unanswered = m[1]!;
          await writer.close().catch(() => {});
          try {
            child.kill("SIGTERM");
          } catch { /* gone */ }
        } else await writer.write(new TextEncoder().encode(`${answer}\n`)).catch(() => {});
      }
    }
    await writer.close().catch(() => {});
    const { code } = await child.status;
    if (unanswered !== "") stderr += `\n(no answer for the prompt ${unanswered})`;
    return { code: unanswered !== "" ? 1 : code, stdout: await stdout, stderr };
  }

  /** Ends gpg-agent and the daemon, then removes the home unless it is kept. */
  async close(keep: boolean): Promise<void> {
    await this.run("gpgconf", ["--kill", "all"]).catch(() => {});
    if (!keep) await Deno.remove(this.path, { recursive: true }).catch(() => {});
  }
}

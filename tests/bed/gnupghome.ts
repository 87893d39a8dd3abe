/**
 * A throwaway GNUPGHOME (mode 0700) wired for the test bed: gpg-agent runs the chosen
 * smartcard daemon (stock scdaemon or scd-ts via a wrapper script) and the test pinentry;
 * stock scdaemon logs its full Assuan/APDU trace to `scdaemon.log` in the home.
 *
 * @module
 */
import { type GnupgBed, HOMES_BASE, STOCK_SCDAEMON } from "./gnupg.ts";
import { TestPinentry } from "./pinentry.ts";
import { alive, killPids, pidsWithEnv } from "./procs.ts";
import { REPO_ROOT } from "./vcard.ts";

/** Which smartcard daemon gpg-agent spawns. */
export type DaemonKind = "stock" | "scd-ts";

/** Options for {@linkcode GnupgHome.create}. */
export interface GnupgHomeOptions {
  daemon: DaemonKind;
  /** PC/SC reader the daemon must use, e.g. "Virtual PCD 00 00". */
  readerPort: string;
  /** Add `pcsc-shared` to scdaemon.conf (stock only). */
  pcscShared?: boolean;
  /** Extra environment for scd-ts (e.g. SCD_TS_LOG). */
  scdTsEnv?: Record<string, string>;
  /** Keep the directory after close (also when SCD_E2E_KEEP=1). */
  keep?: boolean;
}

/** One throwaway GNUPGHOME and the processes gpg starts for it. */
export class GnupgHome {
  readonly path: string;
  readonly bed: GnupgBed;
  readonly pinentry: TestPinentry;
  readonly daemon: DaemonKind;
  readonly #keep: boolean;

  private constructor(path: string, bed: GnupgBed, daemon: DaemonKind, keep: boolean) {
    this.path = path;
    this.bed = bed;
    this.daemon = daemon;
    this.pinentry = new TestPinentry(path);
    this.#keep = keep;
  }

  /** Creates the directory and its gpg-agent.conf, scdaemon.conf and pinentry wrapper. */
  static async create(bed: GnupgBed, options: GnupgHomeOptions): Promise<GnupgHome> {
    await Deno.mkdir(HOMES_BASE, { recursive: true, mode: 0o700 });
    const path = await Deno.makeTempDir({ dir: HOMES_BASE, prefix: `h${bed.version}-` });
    await Deno.chmod(path, 0o700);
    const keep = options.keep ?? Deno.env.get("SCD_E2E_KEEP") === "1";
    const home = new GnupgHome(path, bed, options.daemon, keep);
    await home.pinentry.install();
    const scdProgram = options.daemon === "stock"
      ? STOCK_SCDAEMON
      : await writeScdTsWrapper(path, options.scdTsEnv ?? {});
    await Deno.writeTextFile(
      `${path}/gpg-agent.conf`,
      [
        `scdaemon-program ${scdProgram}`,
        `pinentry-program ${home.pinentry.program}`,
        "allow-loopback-pinentry",
        "enable-ssh-support",
        `log-file ${path}/gpg-agent.log`,
        "debug ipc",
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(
      `${path}/scdaemon.conf`,
      [
        `log-file ${path}/scdaemon.log`,
        "debug-level guru",
        "debug-all",
        `reader-port ${readerPortOption(bed.version, options.readerPort)}`,
        // no USB readers here; go straight to PC/SC
        "disable-ccid",
        ...(options.pcscShared === true ? ["pcsc-shared"] : []),
        "",
      ].join("\n"),
    );
    if (options.daemon === "scd-ts") {
      // scd-ts's own settings file (it never reads scdaemon.conf): debug log, Assuan trace and
      // the same reader as stock's reader-port.
      await Deno.writeTextFile(
        `${path}/scd-ts.conf`,
        `log ${path}/scd-ts.log\nlog-level debug\ntrace ${path}/scd-ts.trace\n` +
          `reader ${options.readerPort}\n`,
      );
    }
    // Keep gpg quiet and deterministic in tests.
    await Deno.writeTextFile(`${path}/gpg.conf`, "no-greeting\nkeyid-format long\n");
    return home;
  }

  /** The daemon's log (stock: scdaemon.log; scd-ts: scd-ts.log), or "" when it wrote none. */
  async scdLog(): Promise<string> {
    const name = this.daemon === "stock" ? "scdaemon.log" : "scd-ts.log";
    return await Deno.readTextFile(`${this.path}/${name}`).catch(() => "");
  }

  /** gpg-agent's log, or "". */
  async agentLog(): Promise<string> {
    return await Deno.readTextFile(`${this.path}/gpg-agent.log`).catch(() => "");
  }

  /** Ends gpg-agent and the daemon (gpgconf --kill all, then by PID) and removes the home. */
  async close(): Promise<void> {
    await this.killDaemons();
    if (!this.#keep) await Deno.remove(this.path, { recursive: true }).catch(() => {});
  }

  /**
   * `gpgconf --kill all` for this home, waits for the daemons to be gone, then ends by PID
   * whatever still carries GNUPGHOME=home. The PIDs are taken first: an exiting process's
   * environment is no longer readable, so a scan after the kill would miss it.
   */
  async killDaemons(): Promise<void> {
    const before = pidsWithEnv("GNUPGHOME", this.path);
    await this.bed.run("gpgconf", ["--kill", "all"], { home: this.path, timeoutMs: 15000 });
    const deadline = Date.now() + 5000;
    while (before.some(alive) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await killPids([...before.filter(alive), ...pidsWithEnv("GNUPGHOME", this.path)]);
  }
}

/**
 * The `reader-port` value that makes stock use `reader`. 2.2 matches the PC/SC reader name
 * (apdu.c `open_pcsc_reader`). 2.4 with `disable-ccid` reads a name without ':' as a number
 * (`atoi`, apdu.c `apdu_open_reader`): N > 0 opens exactly the Nth reader of pcscd's list,
 * 0 scans every reader. So for 2.4 the vpcd reader "Virtual PCD 00 0N" becomes "N", and any
 * other name an index past the end (no reader at all).
 */
export function readerPortOption(version: string, reader: string): string {
  if (version === "2.2") return reader; // 2.4 and 2.4.9 take an index
  const m = /^Virtual PCD 00 0(\d)$/.exec(reader);
  return m === null ? "99" : m[1]!;
}

/** Writes `<home>/scd-ts`, which execs deno on the repo's main.ts (or SCD_E2E_SCD_TS_MAIN). */
async function writeScdTsWrapper(home: string, env: Record<string, string>): Promise<string> {
  const deno = Deno.realPathSync(Deno.execPath());
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  const exports = Object.entries({ DENO_DIR: denoDir, ...env })
    .map(([k, v]) => `export ${k}='${v}'\n`).join("");
  // SCD_E2E_SCD_TS_MAIN: run another build of the daemon, e.g. the bundle dist/scd-ts.js
  const main = Deno.env.get("SCD_E2E_SCD_TS_MAIN") ?? `${REPO_ROOT}/main.ts`;
  const wrapper = `#!/bin/sh\n${exports}exec '${deno}' run -A --quiet '${main}' "$@"\n`;
  const path = `${home}/scd-ts`;
  await Deno.writeTextFile(path, wrapper, { mode: 0o755 });
  return path;
}

/**
 * Runs GnuPG's tools for one gnupg version: 2.2 from the host (bookworm, 2.2.40), 2.4 inside the
 * trixie chroot (2.4.7) or 2.4.9 inside the sid chroot. A {@linkcode GnupgBed} owns the chroot
 * mounts and the pcscd that version talks to; commands get a clean environment with GNUPGHOME
 * set.
 *
 * @module
 */
import { ChrootMounts, chrootName, type ChrootSuite } from "./chroot.ts";
import { VPCD_PORT_CHROOT, VPCD_PORT_HOST, VPCD_PORT_SID } from "./pcscd.ts";
import { SharedPcscd } from "./shared_pcscd.ts";
import { type ProcResult, run, type RunOptions, spawnCaptured, type Spawned } from "./procs.ts";
import { REPO_ROOT } from "./vcard.ts";

/** The gnupg versions of the matrix (SCD_E2E_GNUPG): 2.2.40, 2.4.7 and 2.4.9. */
export type GnupgVersion = "2.2" | "2.4" | "2.4.9";
/** Every {@linkcode GnupgVersion}. */
export const GNUPG_VERSIONS: readonly GnupgVersion[] = ["2.2", "2.4", "2.4.9"];

/** Where each version's tools run: the host, or a chroot with its own pcscd and vpcd ports. */
const WHERE: Record<GnupgVersion, { suite?: ChrootSuite; vpcdPort: number }> = {
  "2.2": { vpcdPort: VPCD_PORT_HOST },
  "2.4": { suite: "trixie", vpcdPort: VPCD_PORT_CHROOT },
  "2.4.9": { suite: "sid", vpcdPort: VPCD_PORT_SID },
};

/**
 * The release series of a version: the stock behaviour tests tell apart (2.4.9 behaves as
 * 2.4 wherever a test asks "2.2 or 2.4?").
 */
export function gnupgSeries(version: GnupgVersion): "2.2" | "2.4" {
  return version === "2.2" ? "2.2" : "2.4";
}

/** Where test homes are created (bound into the chroot at the same path). */
export const HOMES_BASE = "/tmp/scd-ts-e2e";

/** Stock scdaemon, on the host and inside the chroot alike. */
export const STOCK_SCDAEMON = "/usr/lib/gnupg/scdaemon";

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Options for one command run by the bed. */
export interface BedRunOptions extends Pick<RunOptions, "stdin" | "timeoutMs"> {
  /** The GNUPGHOME (also HOME) for the command. */
  home?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** A gpg run's result with its `[GNUPG:]` status lines (keyword first, prefix removed). */
export interface GpgResult extends ProcResult {
  status: string[];
}

/** The tools of one gnupg version plus the pcscd they use. */
export class GnupgBed {
  readonly version: GnupgVersion;
  /** {@linkcode gnupgSeries} of the version. */
  readonly series: "2.2" | "2.4";
  /** The chroot directory for 2.4 and 2.4.9, undefined for 2.2. */
  readonly chroot: string | undefined;
  /** This version's pcscd in slot locks and registries: "host", "chroot" (trixie), "sid". */
  readonly pcscdName: string;
  readonly #mounts: ChrootMounts | undefined;
  readonly #pcscd: SharedPcscd;

  private constructor(
    version: GnupgVersion,
    mounts: ChrootMounts | undefined,
    pcscd: SharedPcscd,
  ) {
    this.version = version;
    this.series = gnupgSeries(version);
    this.chroot = mounts?.dir;
    const suite = WHERE[version].suite;
    this.pcscdName = suite === undefined ? "host" : chrootName(suite);
    this.#mounts = mounts;
    this.#pcscd = pcscd;
  }

  /** Prepares `version`: in a chroot, mounts it and starts its own pcscd if needed. */
  static async open(version: GnupgVersion): Promise<GnupgBed> {
    await Deno.mkdir(HOMES_BASE, { recursive: true, mode: 0o700 });
    const suite = WHERE[version].suite;
    if (suite === undefined) {
      return new GnupgBed(version, undefined, await SharedPcscd.acquire(HOMES_BASE));
    }
    const mounts = await ChrootMounts.mount(suite, hostDirsForChroot(), HOMES_BASE);
    try {
      const pcscd = await SharedPcscd.acquire(HOMES_BASE, {
        dir: mounts.dir,
        name: chrootName(suite),
      });
      return new GnupgBed(version, mounts, pcscd);
    } catch (e) {
      await mounts.unmount();
      throw e;
    }
  }

  /** vpcd TCP port of `slot` for this version's pcscd. */
  vpcdPort(slot: 0 | 1): number {
    return WHERE[this.version].vpcdPort + slot;
  }

  /** Runs `cmd` (a program name resolved by PATH, inside the chroot for 2.4 and 2.4.9). */
  async run(cmd: string, args: string[], options: BedRunOptions = {}): Promise<ProcResult> {
    const [prog, argv] = this.#command(cmd, args, options);
    return await run(prog, argv, {
      clearEnv: true,
      env: { PATH },
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /** Spawns `cmd` like {@linkcode run} but returns the live process (stdin /dev/null). */
  spawn(cmd: string, args: string[], options: BedRunOptions = {}): Spawned {
    const [prog, argv] = this.#command(cmd, args, options);
    return spawnCaptured(prog, argv, { clearEnv: true, env: { PATH } });
  }

  /** The program and argv that run `cmd` with a clean environment (via chroot if any). */
  command(cmd: string, args: string[], options: BedRunOptions = {}): [string, string[]] {
    return this.#command(cmd, args, options);
  }

  #command(cmd: string, args: string[], options: BedRunOptions): [string, string[]] {
    const env: Record<string, string> = {
      PATH,
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      ...(options.home === undefined ? {} : { GNUPGHOME: options.home, HOME: options.home }),
      ...options.env,
    };
    const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const inner = ["env", "-i", ...envArgs, cmd, ...args];
    return this.chroot === undefined
      ? ["/usr/bin/env", inner.slice(1)]
      : ["chroot", [this.chroot, "/usr/bin/env", ...inner.slice(1)]];
  }

  /** Runs gpg with `--batch --status-fd 2` and collects the status lines. */
  async gpg(home: string, args: string[], options: BedRunOptions = {}): Promise<GpgResult> {
    const r = await this.run("gpg", ["--batch", "--no-tty", "--status-fd", "2", ...args], {
      ...options,
      home,
    });
    return { ...r, status: statusLines(r.stderr) };
  }

  /**
   * Synchronous {@linkcode close} for an `unload` handler (tests of one module share a
   * bed): leaves the shared pcscd (the last user stops it) and unmounts the chroot.
   */
  closeSync(): void {
    this.#pcscd.releaseSync();
    this.#mounts?.unmountSync();
  }

  /** Leaves the shared pcscd (the last user stops it) and unmounts the chroot. */
  async close(): Promise<void> {
    try {
      await this.#pcscd.release();
    } finally {
      await this.#mounts?.unmount();
    }
  }
}

/** The `[GNUPG:]` status lines in `text`, without the prefix. */
export function statusLines(text: string): string[] {
  return text.split("\n").filter((l) => l.startsWith("[GNUPG:] ")).map((l) => l.slice(9));
}

/** Host directories the chroot must see at the same path: the repo, test homes, deno. */
function hostDirsForChroot(): string[] {
  const dirs = [REPO_ROOT, HOMES_BASE];
  const denoReal = Deno.realPathSync(Deno.execPath());
  dirs.push(denoReal.slice(0, denoReal.lastIndexOf("/")));
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
  try {
    Deno.statSync(denoDir);
    dirs.push(denoDir);
  } catch {
    // no cache yet: nothing to share
  }
  return dirs;
}

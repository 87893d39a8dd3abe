/**
 * The Debian chroots that hold gnupg 2.4.7 (trixie) and 2.4.9 (sid), built by
 * .ci/gnupg_chroot.sh. Mounts what
 * the tests need inside it (/proc, /dev, /dev/pts, and host directories at their own paths:
 * the repository, the test homes' base dir, the deno binary and its cache); the last test
 * process using the chroot unmounts them, lazily when busy.
 *
 * @module
 */
import { run } from "./procs.ts";
import { Registration } from "./users.ts";
import { exists } from "../support/fixtures.ts";

/** The Debian suites the e2e matrix has chroots of. */
export type ChrootSuite = "trixie" | "sid";

/**
 * Where .ci/gnupg_chroot.sh puts a suite's chroot unless SCD_TS_CHROOT (trixie) or
 * SCD_TS_SID_CHROOT (sid) says otherwise.
 */
export function chrootDir(suite: ChrootSuite = "trixie"): string {
  return suite === "trixie"
    ? Deno.env.get("SCD_TS_CHROOT") ?? "/var/cache/scd-ts/trixie"
    : Deno.env.get("SCD_TS_SID_CHROOT") ?? "/var/cache/scd-ts/sid";
}

/**
 * A suite's name in the bed's lock and registry files (slot locks, pcscd and mount users);
 * trixie's stays "chroot", its name from before there were two.
 */
export function chrootName(suite: ChrootSuite): string {
  return suite === "trixie" ? "chroot" : suite;
}

/** Mount points (absolute, inside the host's view) currently mounted. */
function mountPoints(): Set<string> {
  const points = new Set<string>();
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const field = line.split(" ")[4];
    // mountinfo octal-escapes spaces and the like
    if (field !== undefined) {
      points.add(field.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))));
    }
  }
  return points;
}

async function mustRun(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args, { timeoutMs: 20000 });
  if (r.code !== 0) {
    throw new Error(`Cannot run ${cmd} ${args.join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
  }
}

/**
 * The chroot's mounts, shared by concurrent test processes: each holder registers in
 * `<registryDir>/chroot.users/`, mounts what is missing, and the last one to leave unmounts
 * them all (so no run unmounts /proc under another, and none leaves mounts behind).
 */
export class ChrootMounts {
  readonly dir: string;
  readonly #targets: string[] = [];
  readonly #me: Registration;

  private constructor(dir: string, me: Registration) {
    this.dir = dir;
    this.#me = me;
  }

  /**
   * Mounts /proc, /dev, /dev/pts and binds each of `hostDirs` at the same path inside the
   * chroot of `suite`.
   */
  static async mount(
    suite: ChrootSuite,
    hostDirs: string[],
    registryDir: string,
  ): Promise<ChrootMounts> {
    const dir = chrootDir(suite);
    if (!(await exists(`${dir}/usr/bin/gpg`))) {
      throw new Error(
        `Cannot find the ${suite} chroot at ${dir}: run .ci/gnupg_chroot.sh ${suite}`,
      );
    }
    const users = `${registryDir}/${chrootName(suite)}.users`;
    const m = new ChrootMounts(dir, await Registration.join(users));
    try {
      await m.#mountOne("/proc", ["-t", "proc", "proc"]);
      await m.#mountOne("/dev", ["--bind", "/dev"]);
      await m.#mountOne("/dev/pts", ["--bind", "/dev/pts"]);
      for (const host of hostDirs) await m.#mountOne(host, ["--bind", host]);
    } catch (e) {
      m.unmountSync();
      throw e;
    }
    return m;
  }

  async #mountOne(inside: string, args: string[]): Promise<void> {
    const target = `${this.dir}${inside}`;
    this.#targets.push(target);
    if (mountPoints().has(target)) return;
    await Deno.mkdir(target, { recursive: true });
    await mustRun("mount", [...args, target]);
  }

  /**
   * Leaves; the last user unmounts every mount of the list, innermost first (lazily when
   * busy: a pcscd just signalled may still hold /dev).
   */
  unmountSync(): void {
    if (!this.#me.leaveSync()) return;
    const mounted = mountPoints();
    unmountSyncAll(this.#targets.filter((t) => mounted.has(t)));
  }

  /** {@linkcode unmountSync} for async callers. */
  unmount(): Promise<void> {
    this.unmountSync();
    return Promise.resolve();
  }
}

/** Unmounts synchronously, innermost first, lazily when busy. */
function unmountSyncAll(targets: string[]): void {
  for (const target of targets.reverse()) {
    const r = new Deno.Command("umount", { args: [target], stderr: "null" }).outputSync();
    if (!r.success) {
      new Deno.Command("umount", { args: ["-l", target], stderr: "null" }).outputSync();
    }
  }
}

/**
 * The Debian trixie chroot that holds gnupg 2.4 (built by .ci/trixie_chroot.sh). Mounts what
 * the tests need inside it (/proc, /dev, /dev/pts, and host directories at their own paths:
 * the repository, the test homes' base dir, the deno binary and its cache); the last test
 * process using the chroot unmounts them, lazily when busy.
 *
 * @module
 */
import { run } from "./procs.ts";
import { Registration } from "./users.ts";
import { exists } from "../support/fixtures.ts";

/** Where .ci/trixie_chroot.sh puts the chroot unless SCD_TS_CHROOT says otherwise. */
export function chrootDir(): string {
  return Deno.env.get("SCD_TS_CHROOT") ?? "/var/cache/scd-ts/trixie";
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

  /** Mounts /proc, /dev, /dev/pts and binds each of `hostDirs` at the same path inside `dir`. */
  static async mount(dir: string, hostDirs: string[], registryDir: string): Promise<ChrootMounts> {
    if (!(await exists(`${dir}/usr/bin/gpg`))) {
      throw new Error(`Cannot find the trixie chroot at ${dir}: run .ci/trixie_chroot.sh`);
    }
    const m = new ChrootMounts(dir, await Registration.join(`${registryDir}/chroot.users`));
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

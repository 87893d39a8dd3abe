/**
 * A pcscd shared by concurrent e2e test processes. pcscd is one per machine (one per chroot),
 * and several e2e runs may overlap (developers running suites side by side). Each process
 * registers itself; the pcscd one of them started is stopped by the last one to leave, so no
 * run pulls pcscd from under another and none leaves it behind. A pcscd nobody here started
 * (the system's) is never stopped.
 *
 * @module
 */
import { ensurePcscd } from "./pcscd.ts";
import { alive, killQuietly } from "./procs.ts";
import { Registration } from "./users.ts";

/** One holder's use of the shared pcscd. */
export class SharedPcscd {
  readonly #dir: string;
  readonly #me: Registration;

  private constructor(dir: string, me: Registration) {
    this.#dir = dir;
    this.#me = me;
  }

  /**
   * Registers a holder (in `registryDir`) and makes sure pcscd runs: the host's, or the one
   * inside `chroot` (`name`: the chroot's name in the registry, tests/bed/chroot.ts).
   */
  static async acquire(
    registryDir: string,
    chroot?: { dir: string; name: string },
  ): Promise<SharedPcscd> {
    const dir = `${registryDir}/pcscd.${chroot === undefined ? "host" : chroot.name}`;
    const me = await Registration.join(dir);
    try {
      const handle = await ensurePcscd(
        chroot === undefined ? { detach: true } : {
          chroot: chroot.dir,
          detach: true,
        },
      );
      if (handle.started && handle.pid !== undefined) {
        await Deno.writeTextFile(`${dir}/pcscd.pid`, String(handle.pid));
      }
    } catch (e) {
      me.leaveSync();
      throw e;
    }
    return new SharedPcscd(dir, me);
  }

  /** Leaves; the last holder stops the pcscd a holder started (and waits for it to exit). */
  releaseSync(): void {
    if (!this.#me.leaveSync()) return;
    let pid: number;
    try {
      pid = Number(Deno.readTextFileSync(`${this.#dir}/pcscd.pid`));
      Deno.removeSync(`${this.#dir}/pcscd.pid`);
    } catch {
      return; // no holder started pcscd: the system's, leave it
    }
    if (!alive(pid) || readComm(pid) !== "pcscd") return;
    killQuietly(pid, "SIGTERM");
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const deadline = Date.now() + 3000;
    while (alive(pid) && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 20);
    if (alive(pid)) killQuietly(pid, "SIGKILL");
  }

  /** {@linkcode releaseSync} for async callers. */
  release(): Promise<void> {
    this.releaseSync();
    return Promise.resolve();
  }
}

function readComm(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "";
  }
}

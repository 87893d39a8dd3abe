/**
 * A cross-process reference count in a directory: each holder writes `user.<pid>.<id>`, and
 * whoever leaves last (no other file with a live PID remains) cleans up the shared resource.
 * Used for the pcscd and the chroot mounts that concurrent e2e runs share.
 *
 * @module
 */
import { alive } from "./procs.ts";

/** One holder's entry in a user directory. */
export class Registration {
  readonly #dir: string;
  readonly #file: string;
  #left = false;

  private constructor(dir: string, file: string) {
    this.#dir = dir;
    this.#file = file;
  }

  /** Adds a holder for this process to `dir` (created if missing). */
  static async join(dir: string): Promise<Registration> {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = `user.${Deno.pid}.${crypto.randomUUID()}`;
    await Deno.writeTextFile(`${dir}/${file}`, "");
    return new Registration(dir, file);
  }

  /** Removes this holder; true when no other live holder remains (the caller cleans up). */
  leaveSync(): boolean {
    if (this.#left) return false;
    this.#left = true;
    try {
      Deno.removeSync(`${this.#dir}/${this.#file}`);
    } catch {
      // already gone
    }
    for (const entry of Deno.readDirSync(this.#dir)) {
      const pid = Number(/^user\.(\d+)\./.exec(entry.name)?.[1]);
      if (!Number.isInteger(pid)) continue;
      if (alive(pid)) return false;
      // a crashed run's entry: drop it
      try {
        Deno.removeSync(`${this.#dir}/${entry.name}`);
      } catch {
        // raced with its owner
      }
    }
    return true;
  }
}

/**
 * A pcscd of a test suite's own, for tests that stop, restart or starve pcscd: the machine's
 * pcscd is shared with other runs and never ours to stop. pcscd 1.9.9 cannot be told another
 * socket, so it runs in its own mount namespace (unshare + a bind mount over /run/pcscd), and
 * clients reach it through libpcsclite's `PCSCLITE_CSOCK_NAME` (set it to
 * {@linkcode PrivatePcscd.socket}). Each suite uses its own vpcd ports from the range
 * .ci/loopback_quickack.sh reserves (docs/testbed.md): tests/pcsc 35967/8, tests/cli 35969/70,
 * the fault suite 35971/2.
 *
 * @module
 */

/** How a {@linkcode PrivatePcscd} starts. */
export interface PrivatePcscdOptions {
  /** Directory for its socket and reader configuration (removed by `close()`). */
  dir: string;
  /** First vpcd port of its reader pair; without it, or with `vpcd: false`, no reader. */
  vpcdPort?: number;
  /** Load the vpcd reader (default true when `vpcdPort` is given). */
  vpcd?: boolean;
  /** `--auto-exit`: ends itself 60 s after its last client (an orphan of a killed run). */
  autoExit?: boolean;
  /** Append pcscd's `--debug --apdu` output to this file. */
  logFile?: string;
  /** Fail instead of starting when a vpcd port is taken (another run of the same suite?). */
  requireFreePorts?: boolean;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The socket of a private pcscd whose directory is `dir`. */
export function privatePcscdSocket(dir: string): string {
  return `${dir}/run/pcscd.comm`;
}

/** True when both vpcd ports starting at `first` can be bound (no other vpcd listens). */
export function vpcdPortsFree(first: number): boolean {
  for (const port of [first, first + 1]) {
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
    } catch {
      return false;
    }
  }
  return true;
}

/** One private pcscd; `start()` and `stop()` may repeat (a restart). */
export class PrivatePcscd {
  /** The socket clients use (PCSCLITE_CSOCK_NAME). */
  readonly socket: string;
  readonly #options: PrivatePcscdOptions;
  #child: Deno.ChildProcess | undefined;
  #exited = false;

  constructor(options: PrivatePcscdOptions) {
    this.#options = options;
    this.socket = privatePcscdSocket(options.dir);
  }

  /** True while the pcscd this object started runs. */
  get running(): boolean {
    return this.#child !== undefined && !this.#exited;
  }

  /** Starts pcscd (options override the constructor's) and waits for its socket. */
  async start(overrides: Pick<PrivatePcscdOptions, "vpcd" | "autoExit"> = {}): Promise<void> {
    await this.stop();
    const o = { ...this.#options, ...overrides };
    const conf = `${o.dir}/reader.conf.d`;
    await Deno.remove(conf, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${o.dir}/run`, { recursive: true });
    await Deno.mkdir(conf, { recursive: true });
    await Deno.mkdir("/run/pcscd", { recursive: true }); // the bind mount's target
    if (o.vpcdPort !== undefined && o.vpcd !== false) {
      if (o.requireFreePorts === true && !vpcdPortsFree(o.vpcdPort)) {
        throw new Error(`Cannot start private pcscd: vpcd port ${o.vpcdPort} or next is in use`);
      }
      const hex = o.vpcdPort.toString(16).toUpperCase();
      await Deno.writeTextFile(
        `${conf}/vpcd`,
        `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${hex}\n` +
          `LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x${hex}\n`,
      );
    }
    await Deno.remove(this.socket).catch(() => {});
    const flags = [
      "--foreground",
      o.autoExit === true ? "--auto-exit" : "",
      o.logFile ? "--debug --apdu" : "",
    ]
      .filter((f) => f !== "").join(" ");
    const redirect = o.logFile === undefined ? ">/dev/null 2>&1" : `>>'${o.logFile}' 2>&1`;
    // unshare execs sh, which execs pcscd: the spawned PID is pcscd's, ours to end
    const child = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        `mount --bind "$1" /run/pcscd && exec pcscd ${flags} -c "$2" ${redirect}`,
        "sh",
        `${o.dir}/run`,
        conf,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#child = child;
    this.#exited = false;
    child.status.then(() => (this.#exited = true));
    const deadline = Date.now() + 10000;
    while (!(await this.#answering())) {
      if (this.#exited) {
        this.#child = undefined;
        throw new Error(`Cannot start private pcscd: it exited (${(await child.status).code})`);
      }
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error("Cannot start private pcscd: no socket within 10 s");
      }
      await delay(100);
    }
  }

  async #answering(): Promise<boolean> {
    try {
      (await Deno.connect({ transport: "unix", path: this.socket })).close();
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the pcscd we started (SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    if (!this.#exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const done = await Promise.race([child.status, delay(5000).then(() => undefined)]);
      if (done === undefined) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
    }
    await child.status;
    await Deno.remove(this.socket).catch(() => {});
  }

  /** Stops pcscd and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    await Deno.remove(this.#options.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * A pcscd of the CLI tests' own, so that doctor's "pcscd stopped" and "no reader" can be
 * shown without touching the machine's pcscd (never ours to stop). As in tests/pcsc and the
 * fault suite, pcscd 1.9.9 runs in its own mount namespace with a bind mount over /run/pcscd
 * and clients reach it through libpcsclite's `PCSCLITE_CSOCK_NAME`. With `vpcd: true` it loads
 * vsmartcard's driver on ports 35969/35970 (reserved by .ci/loopback_quickack.sh and used by
 * no other suite); without, it has no reader at all.
 * @module
 */

/** First vpcd port of this pcscd. */
export const CLI_VPCD_PORT = 35969;
/** Its first reader. */
export const CLI_READER = "Virtual PCD 00 00";

const DIR = `/tmp/scd-ts-cli-pcscd-${Deno.pid}`;
/** The socket clients use (PCSCLITE_CSOCK_NAME). */
export const CLI_SOCKET = `${DIR}/run/pcscd.comm`;

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function answering(): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path: CLI_SOCKET })).close();
    return true;
  } catch {
    return false;
  }
}

/** One private pcscd process; start/stop may repeat. */
export class CliPcscd {
  #child: Deno.ChildProcess | undefined;

  /** Starts pcscd (with the vpcd reader or none) and waits for its socket. */
  async start(options: { vpcd: boolean }): Promise<void> {
    await this.stop();
    const conf = `${DIR}/reader.conf.d`;
    await Deno.remove(conf, { recursive: true }).catch(() => {});
    await Deno.mkdir(`${DIR}/run`, { recursive: true });
    await Deno.mkdir(conf, { recursive: true });
    if (options.vpcd) {
      const hex = CLI_VPCD_PORT.toString(16).toUpperCase();
      await Deno.writeTextFile(
        `${conf}/vpcd`,
        `FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x${hex}\n` +
          `LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x${hex}\n`,
      );
    }
    await Deno.remove(CLI_SOCKET).catch(() => {});
    // unshare execs sh, which execs pcscd: the PID is pcscd's; --auto-exit ends an orphan
    this.#child = new Deno.Command("unshare", {
      args: [
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        `mount --bind "$1" /run/pcscd && exec pcscd --foreground --auto-exit -c "$2" >/dev/null 2>&1`,
        "sh",
        `${DIR}/run`,
        conf,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = Date.now() + 10000;
    while (!(await answering())) {
      if (Date.now() > deadline) throw new Error("Cannot start the CLI tests' pcscd: no socket");
      await delay(100);
    }
  }

  /** Ends the pcscd we started (SIGTERM, then SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const done = await Promise.race([child.status, delay(5000).then(() => undefined)]);
    if (done === undefined) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    }
    await Deno.remove(CLI_SOCKET).catch(() => {});
  }

  /** Stops pcscd and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    await Deno.remove(DIR, { recursive: true }).catch(() => {});
  }
}

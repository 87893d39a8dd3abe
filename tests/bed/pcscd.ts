/**
 * The machine's pcscd for tests: reuse a live one, or start `pcscd --foreground` and stop only
 * that one. pcscd 1.9.9 always listens on /run/pcscd/pcscd.comm, so there is one per machine;
 * vsmartcard-vpcd's readers come from /etc/reader.conf.d/vpcd ("Virtual PCD 00 00" on TCP
 * 35963, "Virtual PCD 00 01" on 35964).
 *
 * @module
 */

/** pcscd's client socket (pcsc-lite 1.9.9 `PCSCLITE_CSOCK_NAME`). */
export const PCSCD_SOCKET = "/run/pcscd/pcscd.comm";
/** First vpcd TCP port of the host's pcscd (slot 0; slot 1 is the next port). */
export const VPCD_PORT_HOST = 35963;
/** First vpcd TCP port of the trixie chroot's own pcscd (.ci/gnupg_chroot.sh). */
export const VPCD_PORT_CHROOT = 35965;
/** First vpcd TCP port of the sid chroot's own pcscd (.ci/gnupg_chroot.sh). */
export const VPCD_PORT_SID = 35975;
/** The first vpcd reader, whose card connects to TCP 35963. */
export const VPCD_READER_0 = "Virtual PCD 00 00";
/** The second vpcd reader, whose card connects to TCP 35964. */
export const VPCD_READER_1 = "Virtual PCD 00 01";

/** A pcscd the caller may use; `stop()` ends it only if `started` (this call spawned it). */
export interface PcscdHandle {
  /** True when this process spawned pcscd (and `stop()` will end it). */
  readonly started: boolean;
  /** PID of the pcscd this process spawned, or undefined when it reused a live one. */
  readonly pid: number | undefined;
  /** Ends the pcscd this call started (by PID); a no-op for a reused one. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options for {@linkcode ensurePcscd}. */
export interface EnsurePcscdOptions {
  /** How long to wait for pcscd and the vpcd reader, default 15000 ms. */
  timeoutMs?: number;
  /** Append a started pcscd's output (with `--debug --apdu`) to this file. */
  logFile?: string;
  /**
   * Use the pcscd inside this chroot (socket `<chroot>/run/pcscd/pcscd.comm`), starting it
   * there with `--disable-polkit` when absent. Trixie's libpcsclite 2.3 cannot talk to
   * bookworm's pcscd 1.9.9, so each gnupg 2.4 chroot has its own pcscd, whose vpcd readers
   * listen on {@linkcode VPCD_PORT_CHROOT} (trixie) or {@linkcode VPCD_PORT_SID} and the next
   * port. /proc must be mounted there.
   */
  chroot?: string;
  /**
   * Let a started pcscd outlive this process (Deno ends its children when it exits). For a
   * pcscd shared between test processes, whose last user stops it by PID.
   */
  detach?: boolean;
}

/** True when something accepts connections on pcscd's socket (of the chroot, if given). */
export async function pcscdAnswering(chroot?: string): Promise<boolean> {
  try {
    const path = chroot === undefined ? PCSCD_SOCKET : `${chroot}${PCSCD_SOCKET}`;
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Reader names pcscd reports now (via `pcsc_scan -r`), empty when none or pcscd is down. */
export async function listReaders(): Promise<string[]> {
  try {
    const out = await new Deno.Command("pcsc_scan", {
      args: ["-r"],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    // Lines look like "0: Virtual PCD 00 00"
    return [...text.matchAll(/^\d+: (.+)$/gm)].map((m) => m[1]!.trim());
  } catch {
    return [];
  }
}

/**
 * Makes sure pcscd is answering and lists the vpcd reader "Virtual PCD 00 00".
 * Starts `pcscd --foreground` when no pcscd answers on {@linkcode PCSCD_SOCKET}.
 */
export async function ensurePcscd(options: EnsurePcscdOptions = {}): Promise<PcscdHandle> {
  const timeoutMs = options.timeoutMs ?? 15000;
  const deadline = Date.now() + timeoutMs;
  const chroot = options.chroot;
  let child: Deno.ChildProcess | undefined;
  let log = options.logFile;
  if (!(await pcscdAnswering(chroot))) {
    // In the chroot there is no pcsc_scan: readiness is pcscd's own "daemon ready" line, in
    // a log beside its socket, emptied first so an earlier run's line cannot count.
    if (chroot !== undefined) {
      log ??= `${chroot}/run/pcscd/scd-ts-test-pcscd.log`;
      await Deno.writeTextFile(log, "");
    }
    child = spawnPcscd(log, chroot);
    if (options.detach === true) child.unref();
  }
  let handle = makeHandle(child);
  let lost: string | undefined;
  try {
    while (true) {
      if (child !== undefined) {
        const exited = await Promise.race([child.status, delay(100).then(() => undefined)]);
        if (exited !== undefined) {
          // Two runs that found no pcscd at the same moment both start one; the second exits
          // (code 1) because the first has the socket. CI lost whole profile cells this way:
          // use the winner (not ours to stop) if it comes up before the deadline.
          lost = `our pcscd exited with code ${exited.code}`;
          child = undefined;
          handle = makeHandle(undefined);
        }
      }
      if (await pcscdAnswering(chroot)) {
        if (chroot !== undefined) {
          if (child === undefined || (await readyInLog(log))) return handle;
        } else if ((await listReaders()).includes(VPCD_READER_0)) {
          return handle;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          lost
            ? `Cannot start pcscd: ${lost} and no other pcscd answered within ${timeoutMs} ms`
            : `Cannot find reader "${VPCD_READER_0}" within ${timeoutMs} ms: is vsmartcard-vpcd installed?`,
        );
      }
      await delay(150);
    }
  } catch (e) {
    await handle.stop();
    throw e;
  }
}

async function readyInLog(log: string | undefined): Promise<boolean> {
  if (log === undefined) return false;
  const text = await Deno.readTextFile(log).catch(() => "");
  return text.includes("daemon ready");
}

function spawnPcscd(logFile: string | undefined, chroot: string | undefined): Deno.ChildProcess {
  // `exec` keeps the PID ours to kill; the shell only sets up the redirection.
  const redirect = logFile === undefined ? ">/dev/null 2>&1" : `>>'${logFile}' 2>&1`;
  const flags = logFile === undefined ? "--foreground" : "--foreground --debug --apdu";
  const cmd = chroot === undefined
    ? `exec pcscd ${flags} ${redirect}`
    : `exec chroot '${chroot}' pcscd ${flags} --disable-polkit ${redirect}`;
  return new Deno.Command("sh", {
    args: ["-c", cmd],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function makeHandle(child: Deno.ChildProcess | undefined): PcscdHandle {
  let stopped = false;
  return {
    started: child !== undefined,
    pid: child?.pid,
    async stop() {
      if (child === undefined || stopped) return;
      stopped = true;
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      const done = await Promise.race([child.status, delay(5000).then(() => undefined)]);
      if (done === undefined) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
        await child.status;
      }
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

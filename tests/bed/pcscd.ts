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
}

/** True when something accepts connections on pcscd's socket. */
export async function pcscdAnswering(): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path: PCSCD_SOCKET });
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
  let child: Deno.ChildProcess | undefined;
  if (!(await pcscdAnswering())) {
    child = spawnPcscd(options.logFile);
  }
  const handle = makeHandle(child);
  try {
    while (true) {
      if (child !== undefined) {
        const exited = await Promise.race([child.status, delay(100).then(() => undefined)]);
        if (exited !== undefined) {
          throw new Error(`Cannot start pcscd: it exited with code ${exited.code}`);
        }
      }
      if (await pcscdAnswering()) {
        const readers = await listReaders();
        if (readers.includes(VPCD_READER_0)) return handle;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot find reader "${VPCD_READER_0}" within ${timeoutMs} ms: is vsmartcard-vpcd installed?`,
        );
      }
      await delay(150);
    }
  } catch (e) {
    await handle.stop();
    throw e;
  }
}

function spawnPcscd(logFile: string | undefined): Deno.ChildProcess {
  // `exec` keeps the PID ours to kill; the shell only sets up the redirection.
  const redirect = logFile === undefined ? ">/dev/null 2>&1" : `>>'${logFile}' 2>&1`;
  const flags = logFile === undefined ? "--foreground" : "--foreground --debug --apdu";
  return new Deno.Command("sh", {
    args: ["-c", `exec pcscd ${flags} ${redirect}`],
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

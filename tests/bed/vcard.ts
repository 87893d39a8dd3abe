/**
 * A virtual OpenPGP card process (src/virtual/cli.ts) plugged into one vpcd slot, with a
 * client for its JSON-lines control port.
 *
 * @module
 */
import { spawnCaptured, type Spawned } from "./procs.ts";

/** Repository root (tests/bed/ is two levels down). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Options for {@linkcode startVcard}. */
export interface VcardOptions {
  /** vpcd TCP port: 35963/35964 for the host's pcscd, 35965/35966 for the chroot's. */
  port: number;
  /** JSON state file (created when absent). */
  statePath: string;
  /** Card serial as 8 hex digits. */
  serial?: string;
  /** Card profile (src/virtual/profiles/), passed as `--profile NAME`; default openpgp34. */
  profile?: string;
  /** Extra CLI arguments (e.g. `--latency-pso`, `50`). */
  args?: string[];
  /** How long to wait for `vcard: connected`, default 20000 ms. */
  timeoutMs?: number;
}

/** A free TCP port on 127.0.0.1 (free when asked; good enough for tests). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running virtual card; {@linkcode Vcard.stop} ends it by PID. */
export class Vcard {
  readonly proc: Spawned;
  readonly controlPort: number;
  readonly port: number;
  readonly statePath: string;

  constructor(proc: Spawned, port: number, controlPort: number, statePath: string) {
    this.proc = proc;
    this.port = port;
    this.controlPort = controlPort;
    this.statePath = statePath;
  }

  /** Sends one control command and returns the parsed reply; throws on `ok: false`. */
  async control(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.controlPort });
    try {
      await conn.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
      const buf = new Uint8Array(65536);
      let text = "";
      while (!text.includes("\n")) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      const reply = JSON.parse(text.split("\n")[0]!) as Record<string, unknown>;
      if (reply.ok !== true) {
        throw new Error(`Cannot run card control ${JSON.stringify(cmd)}: ${String(reply.error)}`);
      }
      return reply;
    } finally {
      conn.close();
    }
  }

  /** APDU counts by INS since the last log reset. */
  async apduLog(): Promise<
    { total: number; byIns: Record<string, { count: number; extended?: number }>; resets: number }
  > {
    const r = await this.control({ cmd: "log" });
    return {
      total: Number(r.total),
      byIns: r.byIns as Record<string, { count: number; extended?: number }>,
      resets: Number(r.resets ?? 0),
    };
  }

  /** The card's persisted state (the JSON state file), or undefined before the first write. */
  async state(): Promise<unknown> {
    try {
      return JSON.parse(await Deno.readTextFile(this.statePath));
    } catch {
      return undefined;
    }
  }

  /** Ends the card process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await this.proc.stop();
  }
}

/**
 * True when a card is connected to vpcd's `port` (an established TCP connection whose local
 * port is `port`, i.e. pcscd's end), read from /proc/net/tcp{,6}.
 */
export function vpcdPortBusy(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = Deno.readTextFileSync(table);
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port, f[3] state (01 = ESTABLISHED)
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === "01") return true;
    }
  }
  return false;
}

/**
 * Starts a virtual card on `port` and waits until it is connected to vpcd. vpcd serves one
 * card per port; a second one would connect but never be served, so a port another card
 * holds (after a grace period for a card just stopped) is an error.
 */
export async function startVcard(options: VcardOptions): Promise<Vcard> {
  const deadline = Date.now() + 5000;
  while (vpcdPortBusy(options.port)) {
    if (Date.now() > deadline) {
      throw new Error(
        `Cannot start a card on vpcd port ${options.port}: another card is connected there (use the other slot, e.g. SCD_E2E_SLOT=1)`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const controlPort = freePort();
  const args = [
    "run",
    "-A",
    // SCD_E2E_VCARD_CLI: run another card program with the same CLI (debugging aid)
    Deno.env.get("SCD_E2E_VCARD_CLI") ?? `${REPO_ROOT}/src/virtual/cli.ts`,
    "--port",
    String(options.port),
    "--state",
    options.statePath,
    "--control",
    String(controlPort),
    ...(options.serial === undefined ? [] : ["--serial", options.serial]),
    ...(options.profile === undefined ? [] : ["--profile", options.profile]),
    ...(options.args ?? []),
  ];
  const proc = spawnCaptured(Deno.execPath(), args, { cwd: REPO_ROOT });
  try {
    await proc.waitForLine(/^vcard: connected /, options.timeoutMs ?? 20000);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return new Vcard(proc, options.port, controlPort, options.statePath);
}

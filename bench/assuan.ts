/**
 * A minimal Assuan client for a smartcard daemon run as `--server` on a pipe: read the
 * greeting, send commands, answer INQUIREs, and end the process by its PID.
 * @module
 */

import { Lines } from "../tests/support/fixtures.ts";

/** Answers an INQUIRE (its keyword and arguments) with D-line payloads. */
export type InquireHandler = (inquire: string) => string[];

/** A daemon process speaking Assuan on stdin/stdout. */
export class AssuanChild {
  readonly child: Deno.ChildProcess;
  readonly #lines: Lines;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();

  private constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.#lines = new Lines(child.stdout);
    this.#writer = child.stdin.getWriter();
  }

  /** Start `cmd args` with `env` (stderr discarded). */
  static spawn(cmd: string, args: string[], env: Record<string, string>): AssuanChild {
    const child = new Deno.Command(cmd, {
      args,
      env,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    return new AssuanChild(child);
  }

  get pid(): number {
    return this.child.pid;
  }

  /** The first line (the server's `OK …` greeting). */
  async greeting(): Promise<string> {
    const line = await this.#lines.next();
    if (line === undefined || !line.startsWith("OK")) {
      throw new Error(`Cannot read the Assuan greeting: got ${JSON.stringify(line)}`);
    }
    return line;
  }

  /** Send `line`; return every line up to and including OK/ERR, answering INQUIREs. */
  async transact(line: string, inquire: InquireHandler = () => []): Promise<string[]> {
    await this.#send(line);
    const out: string[] = [];
    for (let l = await this.#lines.next(); l !== undefined; l = await this.#lines.next()) {
      out.push(l);
      if (l.startsWith("INQUIRE ")) {
        for (const d of inquire(l.slice(8))) await this.#send(`D ${d}`);
        await this.#send("END");
      } else if (/^(OK|ERR)( |$)/.test(l)) return out;
    }
    throw new Error(`Cannot finish ${line.split(" ")[0]}: the daemon closed the pipe`);
  }

  /** Like {@linkcode transact}, but throws unless the reply ends with OK. */
  async ok(line: string, inquire?: InquireHandler): Promise<string[]> {
    const reply = await this.transact(line, inquire);
    if (!reply.at(-1)!.startsWith("OK")) {
      throw new Error(`Cannot run ${line.split(" ")[0]}: ${reply.at(-1)}`);
    }
    return reply;
  }

  async #send(line: string): Promise<void> {
    await this.#writer.write(this.#encoder.encode(line + "\n"));
  }

  /** BYE, then SIGTERM and SIGKILL by PID if the process lingers. */
  async close(): Promise<void> {
    await this.#send("BYE").catch(() => {});
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => kill(this.child.pid, "SIGTERM"), 3000);
    const killer = setTimeout(() => kill(this.child.pid, "SIGKILL"), 6000);
    await this.child.status;
    clearTimeout(timer);
    clearTimeout(killer);
    await this.child.stdout.cancel().catch(() => {});
  }
}

function kill(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch { /* gone */ }
}

/** VmRSS of `pid` in MiB (from /proc/PID/status). */
export function rssMib(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

/**
 * Processes for the test bed: run a command to completion with captured output and a
 * timeout, spawn a long-lived one whose output lines can be awaited, and a reaper that ends
 * every process a test started, by PID, including daemons that gpg started in the background
 * (found by the throwaway GNUPGHOME in their environment).
 *
 * @module
 */

/** Outcome of {@linkcode run}. */
export interface ProcResult {
  /** Exit code; -1 when the process was killed on timeout. */
  code: number;
  stdout: string;
  stderr: string;
  /** True when the run hit its timeout and was killed. */
  timedOut: boolean;
}

/** Options for {@linkcode run} and {@linkcode spawnCaptured}. */
export interface RunOptions {
  env?: Record<string, string>;
  /** Start from an empty environment (plus `env`). */
  clearEnv?: boolean;
  cwd?: string;
  /** Bytes or text written to stdin, which is then closed; stdin is /dev/null when absent. */
  stdin?: string | Uint8Array;
  /** Kill the process after this long, default 60000 ms. */
  timeoutMs?: number;
}

/** Runs a command to completion and returns its exit code and decoded output. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<
  ProcResult
> {
  const child = new Deno.Command(cmd, {
    args,
    env: options.env ?? {},
    clearEnv: options.clearEnv ?? false,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killQuietly(child.pid, "SIGKILL");
  }, options.timeoutMs ?? 60000);
  try {
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      const bytes = typeof options.stdin === "string"
        ? new TextEncoder().encode(options.stdin)
        : options.stdin;
      await writer.write(bytes).catch(() => {}); // the child may exit without reading
      await writer.close().catch(() => {});
    }
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: timedOut ? -1 : out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** A long-lived child whose stdout/stderr are collected line by line. */
export class Spawned {
  readonly #child: Deno.ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #done: Promise<Deno.CommandStatus>;
  #exited = false;
  /** The command line, for messages. */
  readonly name: string;

  constructor(child: Deno.ChildProcess, name: string) {
    this.#child = child;
    this.name = name;
    const pumps = [this.#pump(child.stdout, "out"), this.#pump(child.stderr, "err")];
    this.#done = child.status.then(async (status) => {
      await Promise.allSettled(pumps);
      this.#exited = true;
      this.#wake();
      return status;
    });
  }

  /** The child's PID. */
  get pid(): number {
    return this.#child.pid;
  }

  /** True once the child has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Exit status (resolves when the child ends). */
  get status(): Promise<Deno.CommandStatus> {
    return this.#done;
  }

  /** Every output line so far, prefixed "out: " or "err: ". */
  output(): string {
    return this.#lines.join("\n");
  }

  /** Waits until an output line matches `pattern`; throws on exit or timeout. */
  async waitForLine(pattern: RegExp, timeoutMs = 15000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const hit = this.#lines.find((l) => pattern.test(l.slice(5)));
      if (hit !== undefined) return hit.slice(5);
      if (this.#exited) {
        throw new Error(`Cannot see ${pattern} from ${this.name}: it exited\n${this.output()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Cannot see ${pattern} from ${this.name} within ${timeoutMs} ms\n${this.output()}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(t);
          this.#waiters.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, Math.min(left, 250));
        this.#waiters.add(wake);
      });
    }
  }

  /** Ends the child (SIGTERM, then SIGKILL after `graceMs`) and waits for it. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.#exited) return;
    killQuietly(this.pid, "SIGTERM");
    const t = setTimeout(() => killQuietly(this.pid, "SIGKILL"), graceMs);
    try {
      await this.#done;
    } finally {
      clearTimeout(t);
    }
  }

  async #pump(stream: ReadableStream<Uint8Array>, tag: string): Promise<void> {
    let rest = "";
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop() ?? "";
      for (const p of parts) this.#lines.push(`${tag}: ${p}`);
      this.#wake();
    }
    if (rest !== "") this.#lines.push(`${tag}: ${rest}`);
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** Spawns a long-lived command with stdout/stderr captured (stdin is /dev/null). */
export function spawnCaptured(cmd: string, args: string[], options: RunOptions = {}): Spawned {
  const child = new Deno.Command(cmd, {
    args,
    env: options.env ?? {},
    clearEnv: options.clearEnv ?? false,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new Spawned(child, [cmd, ...args].join(" "));
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function killQuietly(pid: number, signal: Deno.Signal = "SIGTERM"): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // state is the field after the ")" that closes the command name
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** PIDs whose environment holds exactly `name=value` (e.g. a test's GNUPGHOME). */
export function pidsWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid === Deno.pid) continue;
    try {
      const env = Deno.readTextFileSync(`/proc/${pid}/environ`);
      if (env.split("\0").includes(needle)) found.push(pid);
    } catch {
      // exited meanwhile or not readable
    }
  }
  return found;
}

/** Sends SIGTERM to each PID, waits up to `graceMs`, then SIGKILLs the survivors. */
export async function killPids(pids: number[], graceMs = 3000): Promise<void> {
  for (const pid of pids) killQuietly(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const survivors = pids.filter(alive);
  for (const pid of survivors) killQuietly(pid, "SIGKILL");
  const killDeadline = Date.now() + 2000;
  while (survivors.some(alive) && Date.now() < killDeadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Collects what a test started and ends it all in {@linkcode Reaper.reapAll}: tracked
 * children first, then async cleanups (e.g. `gpgconf --kill all`), then every process whose
 * environment still names one of the registered GNUPGHOMEs.
 */
export class Reaper {
  readonly #children: Spawned[] = [];
  readonly #cleanups: (() => Promise<void>)[] = [];
  readonly #homes: string[] = [];

  /** Ends `child` during reapAll. */
  track(child: Spawned): Spawned {
    this.#children.push(child);
    return child;
  }

  /** Runs `fn` during reapAll (latest first). */
  defer(fn: () => Promise<void>): void {
    this.#cleanups.push(fn);
  }

  /** Kills whatever still carries GNUPGHOME=`home` during reapAll. */
  watchHome(home: string): void {
    this.#homes.push(home);
  }

  /** Ends everything registered; collects errors and throws the first after finishing. */
  async reapAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const fn of this.#cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    for (const child of this.#children.splice(0).reverse()) {
      await child.stop().catch((e) => errors.push(e));
    }
    for (const home of this.#homes.splice(0)) {
      await killPids(pidsWithEnv("GNUPGHOME", home));
    }
    if (errors.length > 0) throw errors[0];
  }
}

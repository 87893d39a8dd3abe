/**
 * `scd-ts ssh-agent`: the SSH agent protocol on a Unix socket, serving the authentication
 * key of every OpenPGP card present, for users without gpg-agent (docs/ssh-agent.md).
 *
 * Invariant: nothing here holds a card or a PC/SC handle; the card registry, the PIN cache
 * and the applications are the daemon's own, built by main.ts and injected, so a signature
 * is one application call (one transaction, the configured PIN policy), and gpg-agent with
 * scd-ts can use the same card in between. main.ts imports this folder only for this mode.
 * @module
 */

import { parseArgs } from "node:util";
import { getLog } from "../log.ts";
import { SshAgent, type SshAgentOptions } from "./agent.ts";
import { listenAgent } from "./server.ts";
import type { SshPinCache } from "./agent.ts";
import { KeyringPinStore } from "./keyring.ts";
import { withPinStore } from "./pin_store.ts";

export { AgentConnection, type SshCard, type SshCardSource, type SshPinCache } from "./agent.ts";
export { SshAgent } from "./agent.ts";
export { KeyringPinStore, type PinStore } from "./keyring.ts";
export { withPinStore } from "./pin_store.ts";
export { findOnPath, findPinentry, pinentryProvider } from "./pinentry.ts";
export { listenAgent, serveConnection } from "./server.ts";

const log = getLog("ssh");

/** `scd-ts ssh-agent` usage. */
export const SSH_AGENT_HELP =
  `Usage: scd-ts ssh-agent [-a SOCKET] [-D] [-t TTL] [--refuse-forwarded] [-c | -s]
SSH agent for the authentication keys of the OpenPGP cards present (no gpg-agent needed).

  -a SOCKET   listen here (default $XDG_RUNTIME_DIR/scd-ts/ssh-agent.sock)
  -D          foreground (for systemd; logs to stderr); without it the agent runs detached
  -t TTL      keep a PIN given with ssh-add -s or a pinentry this long without use
              (seconds, or 30m, 1h; default pin-cache-ttl / SCD_TS_PIN_TTL, 10m)
  --refuse-forwarded
              sign nothing for a forwarded agent connection (ssh -A; session-bind
              with is_forwarding, or a session-bind that failed); also
              ssh-refuse-forwarded yes in scd-ts.conf
  -c | -s     print csh or Bourne shell commands (default: from $SHELL)

Prints SSH_AUTH_SOCK=…; export SSH_AUTH_SOCK; like ssh-agent: eval "$(scd-ts ssh-agent)".
PINs: ssh-add -s <serial> caches the PIN; else the pinentry-program of gpg-agent.conf (or
pinentry on PATH) asks. ssh-add -e <serial> forgets it, ssh-add -D forgets all.`;

/** Parsed `ssh-agent` options. */
export interface SshAgentArgs {
  socket?: string;
  foreground: boolean;
  ttl?: string;
  /** --refuse-forwarded given (scd-ts.conf's ssh-refuse-forwarded is read by main.ts). */
  refuseForwarded: boolean;
  csh: boolean;
  help: boolean;
}

/** Parse the arguments after `ssh-agent`; throws a TypeError on a bad one. */
export function parseSshArgs(argv: readonly string[], shell = ""): SshAgentArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      a: { type: "string" },
      D: { type: "boolean" },
      t: { type: "string" },
      c: { type: "boolean" },
      s: { type: "boolean" },
      "refuse-forwarded": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  return {
    ...(values.a === undefined ? {} : { socket: values.a }),
    ...(values.t === undefined ? {} : { ttl: values.t }),
    foreground: values.D ?? false,
    refuseForwarded: values["refuse-forwarded"] ?? false,
    csh: values.c ?? (!values.s && shell.endsWith("csh")),
    help: values.help ?? false,
  };
}

/**
 * scd-ts.conf's `ssh-refuse-forwarded` (or SCD_TS_SSH_REFUSE_FORWARDED): yes, 1, true, on,
 * or the key alone; anything else leaves it off (the flag `--refuse-forwarded` also sets it).
 */
export function refuseForwardedSetting(values: ReadonlyMap<string, string>): boolean {
  const v = values.get("ssh-refuse-forwarded");
  return v !== undefined && /^(|yes|1|true|on)$/i.test(v.trim());
}

/**
 * `pin-store` (scd-ts.conf, SCD_TS_PIN_STORE): `memory` (default) keeps PINs in the agent
 * only; `keyring` also in the kernel user keyring through keyctl (keyring.ts), when keyctl
 * works and the PIN cache is on; else the agent says why and keeps them in memory.
 */
export async function pinStoreFor(
  values: ReadonlyMap<string, string>,
  ttlMs: number,
  memory: SshPinCache,
): Promise<SshPinCache> {
  const want = (values.get("pin-store") ?? "memory").trim().toLowerCase();
  if (want === "memory" || want === "") return memory;
  if (want !== "keyring") {
    log.warning("pin-store {value} unknown (memory or keyring): PINs stay in memory", {
      value: want,
    });
    return memory;
  }
  if (ttlMs <= 0) {
    log.warning("pin-store keyring ignored: the PIN cache is off (pin-cache-ttl)");
    return memory;
  }
  const store = new KeyringPinStore({ ttlSeconds: ttlMs / 1000 });
  if (!await store.usable()) {
    log.error("pin-store keyring: cannot use the kernel keyring (keyctl); PINs stay in memory");
    return memory;
  }
  log.info("PINs also kept in the kernel user keyring (pin-store keyring)");
  return withPinStore(memory, store);
}

/**
 * The default socket: `$XDG_RUNTIME_DIR/scd-ts/ssh-agent.sock`, else
 * `/tmp/scd-ts-<uid>/ssh-agent.sock` (its directory must then be ours: listenAgent checks).
 */
export function defaultSocket(env: (name: string) => string | undefined, uid: number): string {
  const runtime = env("XDG_RUNTIME_DIR");
  return runtime ? `${runtime}/scd-ts/ssh-agent.sock` : `/tmp/scd-ts-${uid}/ssh-agent.sock`;
}

/** The lines ssh-agent prints for a shell to eval. */
export function shellLines(socket: string, pid: number, csh: boolean): string {
  // as ssh-agent prints it; quoted only when the path needs it
  const q = /^[\w@%+=:,./-]+$/.test(socket) ? socket : `'${socket.replaceAll("'", `'\\''`)}'`;
  return csh
    ? `setenv SSH_AUTH_SOCK ${q};\nsetenv SSH_AGENT_PID ${pid};\necho Agent pid ${pid};\n`
    : `SSH_AUTH_SOCK=${q}; export SSH_AUTH_SOCK;\n` +
      `SSH_AGENT_PID=${pid}; export SSH_AGENT_PID;\necho Agent pid ${pid};\n`;
}

/** What {@linkcode runSshAgent} gets from main.ts. */
export interface RunOptions extends SshAgentOptions {
  args: SshAgentArgs;
  env: (name: string) => string | undefined;
  uid: number;
}

/**
 * The agent in the foreground (`-D`; without it main.ts calls {@linkcode startDetached}).
 * Serve until SIGTERM, SIGINT or SIGHUP; returns the exit code. The socket file is removed
 * and cached PINs wiped on the way out.
 */
export async function runSshAgent(options: RunOptions): Promise<number> {
  const { args } = options;
  const socket = args.socket ?? defaultSocket(options.env, options.uid);
  const agent = new SshAgent(options);
  let listener;
  try {
    listener = await listenAgent(agent, socket, {
      ...(args.socket === undefined ? { makeDir: true, uid: options.uid } : {}),
    });
  } catch (e) {
    log.error("{error}", { error: (e as Error).message });
    console.error(`scd-ts ssh-agent: ${(e as Error).message}`);
    return 1;
  }
  log.info("ssh-agent listening on {socket}", { socket });
  await Deno.stdout.write(new TextEncoder().encode(shellLines(socket, Deno.pid, args.csh)));
  const stop = Promise.withResolvers<string>();
  const signals = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
  const handlers = signals.map((sig) => [sig, () => stop.resolve(sig)] as const);
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  try {
    const why = await Promise.race([stop.promise, listener.finished.then(() => "closed")]);
    log.info("ssh-agent stopping ({why})", { why });
  } finally {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
    agent.close();
    await listener[Symbol.asyncDispose]();
  }
  return 0;
}

/** Whether an agent answers on `path` now. */
async function answers(path: string): Promise<boolean> {
  try {
    (await Deno.connect({ transport: "unix", path })).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Without `-D`, what ssh-agent's fork does: run this same command line again with `-D` as a
 * detached child with its stdio closed (so a shell's `$(…)` returns), wait until its socket
 * answers, print the lines with the child's PID. The command line is read from
 * /proc/self/cmdline, so it works for the binary and for `deno run … main.ts` alike (Linux).
 */
export async function startDetached(
  args: SshAgentArgs,
  env: (name: string) => string | undefined,
  uid: number,
): Promise<number> {
  const socket = args.socket ?? defaultSocket(env, uid);
  if (await answers(socket)) {
    console.error(`scd-ts ssh-agent: Cannot listen on "${socket}": another agent is serving it`);
    return 1;
  }
  const argv = new TextDecoder().decode(await Deno.readFile("/proc/self/cmdline")).split("\0");
  if (argv.at(-1) === "") argv.pop();
  const child = new Deno.Command(argv[0]!, {
    args: [...argv.slice(1), "-D"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited = false;
  child.status.then(() => exited = true, () => exited = true);
  const deadline = Date.now() + 30_000;
  while (!(await answers(socket))) {
    if (exited || Date.now() > deadline) {
      console.error("scd-ts ssh-agent: Cannot start the agent; run it with -D to see why");
      if (!exited) child.kill("SIGTERM");
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await Deno.stdout.write(new TextEncoder().encode(shellLines(socket, child.pid, args.csh)));
  return 0;
}

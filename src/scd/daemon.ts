/**
 * The process lifetime of stock scdaemon (gpg/gnupg:scd/scdaemon.c `main`,
 * `handle_connections`, `handle_signal`; scdaemon-protocol.md §1.1):
 *
 * - `--server`: one session on stdin/stdout; the process ends with it.
 * - `--multi-server`: the same pipe session plus a listening socket `S.scdaemon`, created
 *   before the pipe is served so `GETINFO socket_name` can report it. When the pipe session
 *   ends (EOF, BYE, KILLSCD) no new connection is accepted and the process exits once the
 *   running socket sessions have ended.
 * - `--daemon`: the socket only; prints `SCDAEMON_INFO=…` (does not fork: run it with `&` or
 *   under a supervisor).
 * - KILLSCD on any session: exit right after that session's cleanup.
 * - SIGTERM: stop accepting and exit when all sessions have ended (the third forces);
 *   SIGINT: exit now; SIGHUP, SIGUSR1, SIGUSR2: logged only.
 * @module
 */

import { listenUnix, type UnixListener } from "../assuan/mod.ts";
import { getLog } from "../log.ts";
import { type EnvLookup, SOCKET_NAME, socketDir } from "./paths.ts";
import type { ScdServer } from "./server.ts";

const log = getLog("scd");

/** Options for {@linkcode runDaemon}. */
export interface DaemonOptions {
  mode: "server" | "multi-server" | "daemon";
  server: ScdServer;
  homedir: string;
  env: EnvLookup;
  /** Our uid, null if unknown (socket directory lookup). */
  uid: number | null;
  /** The pipe (default stdin/stdout). */
  stdio?: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
  /** gpg-agent's pid (`_assuan_pipe_connect_pid`), for the event signal. */
  peerPid?: number | undefined;
  /** `--csh`: print SCDAEMON_INFO csh-style. */
  csh?: boolean;
  /** Print the `--daemon` info line (default: to stdout). */
  print?: (line: string) => void;
  /** Install signal handlers (default true; tests turn it off). */
  signals?: boolean;
}

type Exit = (code: number, why: string) => void;

/** Serve until the lifetime rules above say stop; resolves with the exit code. */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { server, mode } = options;
  let listener: UnixListener | undefined;
  if (mode !== "server") {
    const dir = await socketDir(options.homedir, { env: options.env, uid: options.uid });
    listener = await listenUnix(server.socketServer(), `${dir}/${SOCKET_NAME}`);
    server.socketName = listener.path;
    log.info("Listening on socket {path}", { path: listener.path });
  }
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const exit: Exit = (code, why) => {
    log.info("Exiting: {why}", { why });
    resolveExit(code);
  };
  server.onKill = () => exit(0, "KILLSCD");
  const pipeAbort = new AbortController();
  let pipeDone: Promise<unknown> = Promise.resolve();
  if (mode === "daemon") {
    const info = `${listener!.path}:${Deno.pid}:1`;
    (options.print ?? console.log)(
      options.csh
        ? `setenv SCDAEMON_INFO ${info};`
        : `SCDAEMON_INFO=${info}; export SCDAEMON_INFO;`,
    );
  } else {
    const stdio = options.stdio ??
      { readable: Deno.stdin.readable, writable: Deno.stdout.writable };
    // The pipe keeps stock's order on EOF: lines already sent are still answered (scripts).
    pipeDone = server.serve(stdio, {
      pipe: true,
      peerPid: options.peerPid,
      signal: pipeAbort.signal,
      abortOnEof: false,
    })
      .then((end) => {
        log.debug("Pipe session ended ({reason})", { reason: end.reason });
        shutdown();
      }, (e) => exit(2, `pipe session failed: ${e}`));
  }
  // Stop accepting; exit once the pipe and the socket sessions are done (shutdown_pending).
  function shutdown(): void {
    listener?.close().catch(() => {});
    Promise.all([pipeDone, listener?.finished]).then(() => exit(0, "all sessions ended"));
  }
  const removeSignals = options.signals === false ? () => {} : installSignals(exit, shutdown);
  const code = await exited;
  removeSignals();
  pipeAbort.abort();
  if (listener) {
    await listener.close();
    listener.abortSessions();
  }
  // Let the sessions run their cleanup (and last log lines) before the caller closes the log.
  await Promise.race([Promise.all([pipeDone, listener?.finished]), sleep(1000)]);
  server.close();
  await server.cards.close();
  return code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    Deno.unrefTimer(timer);
  });
}

/** SIGTERM (graceful, third one forces), SIGINT (now), SIGHUP/SIGUSR1/SIGUSR2 (log only). */
function installSignals(exit: Exit, shutdown: () => void): () => void {
  let terms = 0;
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", () => {
      terms++;
      log.info("SIGTERM received - shutting down{forced}", {
        forced: terms > 2 ? " (forced)" : "",
      });
      if (terms > 2) return exit(0, "SIGTERM (forced)");
      if (terms === 1) shutdown();
    }],
    ["SIGINT", () => exit(0, "SIGINT")],
    ["SIGHUP", () => log.info("SIGHUP received - nothing to reload")],
    ["SIGUSR1", () => log.info("SIGUSR1 received - no action defined")],
    ["SIGUSR2", () => log.info("SIGUSR2 received - no action defined")],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  return () => {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  };
}

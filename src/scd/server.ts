/**
 * The scdaemon server: Assuan sessions over the command table, sharing one card registry.
 * Per session it keeps a {@linkcode SessionState} and implements the session hooks stock
 * has in gpg/gnupg:scd/command.c: `OPTION event-signal` (`option_handler`), `RESET
 * [--keep-lock]` (`reset_notify`/`do_reset`), and the cleanup at the end of a session
 * (`do_reset(ctrl, 0, 0)`: unbind, release the lock). Card changes from the registry mark
 * the sessions on that card removed and signal clients that asked for it (§1.6).
 * @module
 */

import {
  AssuanServer,
  type Command,
  type Connection,
  type Duplex,
  type ServeOptions,
  type Session,
  type SessionEnd,
  type TraceSink,
} from "../assuan/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";
import { getLog } from "../log.ts";
import { type AgentProbe, agentVersion } from "./agent_version.ts";
import type { CardChange } from "./card_entry.ts";
import type { CardRegistry } from "./cards.ts";
import type { DaemonInfo, ScdContext } from "./command.ts";
import type { ScdConfig } from "./config.ts";
import { inquirePinProvider, type PinCache, pinCacheWithRegistry } from "./pin/mod.ts";
import { SessionState } from "./state.ts";
import { statusSink } from "./status.ts";
import { COMMANDS } from "./table.ts";

const log = getLog("scd");

/** Stock's greeting (`register_commands`). */
export const HELLO = "GNU Privacy Guard's Smartcard server ready";

/** Linux signal numbers a client may ask for with `OPTION event-signal=N`. */
const SIGNALS: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  10: "SIGUSR1",
  12: "SIGUSR2",
  14: "SIGALRM",
  15: "SIGTERM",
  28: "SIGWINCH",
};

/** Options for {@linkcode ScdServer}. */
export interface ScdServerOptions {
  config: ScdConfig;
  cards: CardRegistry;
  /** Process id for GETINFO pid; default `Deno.pid`. */
  pid?: number;
  /** Sends the event signal; default `Deno.kill`. */
  signalPeer?: (pid: number, signal: Deno.Signal) => void;
  /** Assuan trace (`SCD_TS_TRACE`): each session's lines are prefixed with its number. */
  trace?: { withPrefix(prefix: string): TraceSink } | undefined;
  /** How GETINFO version finds the parent gpg-agent's version; default the real system. */
  agentProbe?: AgentProbe;
}

/** How one session is served. */
export interface SessionOptions {
  /** The stdin/stdout session. */
  pipe?: boolean;
  /** The client's pid, for the event signal. */
  peerPid?: number | undefined;
  /** Ends the session after its current command. */
  signal?: AbortSignal | undefined;
  trace?: TraceSink | undefined;
  /** Abort the running command when the client's input ends (default true). */
  abortOnEof?: boolean;
  /** A connection accepted on the listening socket (its greeting carries the pid). */
  socket?: boolean;
}

/** C `atoi` on an OPTION value: leading blanks, sign, digits; -1 for an empty value. */
function parseSignalNumber(value: string): number {
  if (value === "") return -1;
  const m = /^\s*([+-]?\d+)/.exec(value);
  return m ? Number(m[1]) : 0;
}

/** The process-wide server; serve each connection with {@linkcode ScdServer.serve}. */
export class ScdServer implements DaemonInfo {
  readonly config: ScdConfig;
  readonly cards: CardRegistry;
  readonly pid: number;
  /** Set once the listening socket exists (`--multi-server`). */
  socketName: string | undefined;
  /** Called when a session that got KILLSCD has ended. */
  onKill: (() => void) | undefined;
  #sessions = new Set<SessionState>();
  #signalPeer: (pid: number, signal: Deno.Signal) => void;
  #trace: ScdServerOptions["trace"];
  #agentProbe: AgentProbe | undefined;
  /** The version answer, looked up once at the first GETINFO version. */
  #version: Promise<string> | undefined;
  #unsubscribe: () => void;
  /** The daemon's PIN cache, made with the registry; every command gets it in its context. */
  #pins: { cache: PinCache; close(): void };
  /** The table, each command marked as a use of the registry (`monitor-idle`). */
  #commands: readonly Command<ScdContext>[];

  constructor(options: ScdServerOptions) {
    this.config = options.config;
    this.cards = options.cards;
    this.pid = options.pid ?? Deno.pid;
    this.#signalPeer = options.signalPeer ?? ((pid, sig) => Deno.kill(pid, sig));
    this.#trace = options.trace;
    this.#agentProbe = options.agentProbe;
    this.#unsubscribe = this.cards.onChange((change) => this.#cardChanged(change));
    this.#pins = pinCacheWithRegistry(this.cards, this.config);
    this.#commands = COMMANDS.map((command) => markedAsUse(command, this.cards));
  }

  version(): Promise<string> {
    const configured = this.config.compatVersion;
    if (configured !== undefined) return Promise.resolve(configured);
    this.#version ??= agentVersion(this.#agentProbe);
    return this.#version;
  }

  connections(): number {
    return this.#sessions.size;
  }

  sessions(): Iterable<SessionState> {
    return this.#sessions.values();
  }

  /** Serve one connection until it ends. */
  async serve(stream: Duplex, options: SessionOptions = {}): Promise<SessionEnd> {
    const state = new SessionState({ pipe: options.pipe ?? false, peerPid: options.peerPid });
    const assuan = new AssuanServer<ScdContext>({
      // stock's greeting on its socket adds the pid (libassuan's socket server; seen on 2.4.7,
      // docs/multi-card.md), the pipe's has none
      hello: options.socket ? `${HELLO}, process ${this.pid}` : HELLO,
      commands: this.#commands,
      abortOnEof: options.abortOnEof ?? true,
      createSession: (conn) => this.#session(conn, state),
    });
    this.#sessions.add(state);
    log.debug("Session {id} started ({kind})", {
      id: state.id,
      kind: state.pipe ? "pipe" : "socket",
    });
    const trace = options.trace ?? this.#trace?.withPrefix(`${state.id} `);
    const end = await assuan.serve(stream, { signal: options.signal, trace });
    log.debug("Session {id} ended: {reason}", { id: state.id, reason: end.reason });
    if (state.stopRequested) this.onKill?.();
    return end;
  }

  /**
   * This server as an `AssuanServer` for `listenUnix`: each accepted connection is served by
   * {@linkcode ScdServer.serve} as a socket session.
   */
  socketServer(): AssuanServer<ScdContext> {
    return new SocketSessions(this);
  }

  /** Stop listening for card changes; wipe the cached PINs. */
  close(): void {
    this.#unsubscribe();
    this.#pins.close();
  }

  #session(conn: Connection, state: SessionState): Session<ScdContext> {
    return {
      context: (signal) => ({
        conn,
        state,
        cards: this.cards,
        pins: this.#pins.cache,
        daemon: this,
        signal,
        operation: () => ({ pin: inquirePinProvider(conn), status: statusSink(conn), signal }),
      }),
      option: (key, value) => {
        if (key !== "event-signal") return; // other keys are accepted and ignored, like stock
        const n = parseSignalNumber(value);
        if (n < 0) throw new GpgError("ASS_PARAMETER");
        state.eventSignal = n;
      },
      reset: (args) =>
        this.#reset(state, { sendReset: true, keepLock: /(^|\s)--keep-lock(\s|$)/.test(args) }),
      close: () => {
        this.#reset(state, { sendReset: false, keepLock: false });
        state.clearSetData();
        this.#sessions.delete(state);
      },
    };
  }

  /**
   * Stock's `do_reset`: unless another session holds the lock, RESET makes the card be read
   * afresh (we forget its cached application; the card itself is not power-cycled, which would
   * disturb other PC/SC clients); the session is unbound; its lock is released unless kept.
   */
  #reset(state: SessionState, how: { sendReset: boolean; keepLock: boolean }): void {
    const card = state.card;
    if (card && how.sendReset && !this.cards.sessionLock.lockedByOther(state)) {
      this.cards.forget(card.reader);
    }
    state.unbind();
    if (!how.keepLock && this.cards.sessionLock.unlock(state) === "unlocked") {
      log.info("Implicitly unlocking due to RESET");
    }
  }

  #cardChanged(change: CardChange): void {
    // a scan registering a card is no reader event: stock signals nobody (app_new_register)
    if (change.type === "new") return;
    const sent = new Set<string>();
    for (const state of this.#sessions) {
      if (state.card && state.card.reader === change.reader && !this.cards.isCurrent(state.card)) {
        state.unbind();
        state.cardRemoved = true;
      }
      const signo = state.eventSignal;
      const pid = state.peerPid;
      if (!signo || !pid) continue;
      const name = SIGNALS[signo];
      const key = `${pid}/${signo}`;
      if (!name || sent.has(key)) continue;
      sent.add(key);
      try {
        log.info("Sending signal {signal} to client {pid}", { signal: signo, pid });
        this.#signalPeer(pid, name);
      } catch (e) {
        log.warning("Cannot signal client {pid}: {error}", { pid, error: e });
      }
    }
  }
}

/**
 * `command` with its run marked as a use of `cards` from start to end, so `monitor-idle`
 * counts quiet time only between commands (the standard ones, NOP or OPTION, do not count).
 */
function markedAsUse(command: Command<ScdContext>, cards: CardRegistry): Command<ScdContext> {
  return {
    ...command, // help, secretArgs and whatever else the command declares
    async run(ctx, args, rawArgs) {
      using _use = cards.inUse();
      await command.run(ctx, args, rawArgs);
    },
  };
}

/** Adapter: `listenUnix` serves connections through an AssuanServer; route them to ScdServer. */
class SocketSessions extends AssuanServer<ScdContext> {
  #scd: ScdServer;

  constructor(scd: ScdServer) {
    super({ commands: [], createSession: () => ({ context: () => ({}) as ScdContext }) });
    this.#scd = scd;
  }

  override serve(stream: Duplex, options: ServeOptions = {}): Promise<SessionEnd> {
    return this.#scd.serve(stream, { signal: options.signal, trace: options.trace, socket: true });
  }
}

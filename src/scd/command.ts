/**
 * What a scdaemon command handler gets and the helpers every handler uses. One
 * {@linkcode Command} object per command (name, help, run) in `commands/<name>.ts`, listed in
 * `table.ts`. A handler parses its line once ({@linkcode parseLine}), resolves the card
 * ({@linkcode openCard}/{@linkcode openApp}, stock's `open_card`), calls the application with
 * {@linkcode ScdContext.operation}, and emits through `ctx.conn` and the builders in
 * `status.ts`. It never catches: `table.ts` maps every error with `toGpgError`.
 *
 * ```ts
 * export const random: Command = {
 *   name: "RANDOM",
 *   help: "RANDOM <nbytes>",
 *   async run(ctx, line) {
 *     const { args } = parseLine(line);
 *     const { app } = await openApp(ctx);
 *     await ctx.conn.data(await app.random(Number(args[0]), ctx.operation()));
 *   },
 * };
 * ```
 * @module
 */

import type { Command as AssuanCommand, Connection } from "../assuan/mod.ts";
import { type CardApplication, CardChangedError, type OperationContext } from "../app/mod.ts";
import { GpgError } from "../gpg_error/mod.ts";
import { getLog } from "../log.ts";
import type { CardEntry } from "./card_entry.ts";
import type { CardRegistry } from "./cards.ts";
import type { ScdConfig } from "./config.ts";
import type { PinCache } from "./pin/mod.ts";
import { readerSetting } from "./reader_settings.ts";
import type { SessionState } from "./state.ts";

const log = getLog("scd");

/** Process-wide facts commands report (GETINFO) or act on (KILLSCD). */
export interface DaemonInfo {
  /**
   * What `GETINFO version` says: config `compat-version`, else the parent gpg-agent's version
   * (found at the first call; scd/agent_version.ts).
   */
  version(): Promise<string>;
  readonly pid: number;
  /** The listening socket (`--multi-server`), else undefined. */
  readonly socketName: string | undefined;
  readonly config: ScdConfig;
  /** Sessions being served now (`GETINFO connections`). */
  connections(): number;
  /** The state of every live session (SERIALNO clears the removed flag of all on that card). */
  sessions(): Iterable<SessionState>;
}

/** Everything a handler may use; made per command by the server. */
export interface ScdContext {
  /** This session's Assuan connection (status, data, inquire). */
  readonly conn: Connection;
  /** This session's state (bound card, SETDATA, flags). */
  readonly state: SessionState;
  /** The process-wide card registry (cards, LOCK). */
  readonly cards: CardRegistry;
  /** The daemon's PIN cache (pin/mod.ts); used through `cardOperation`, not by handlers. */
  readonly pins: PinCache;
  readonly daemon: DaemonInfo;
  /** Aborted when the client cancels or goes away. */
  readonly signal: AbortSignal;
  /** The context for one application call: PINs via INQUIRE NEEDPIN, status to this client. */
  operation(): OperationContext;
}

/** A scdaemon command. */
export type Command = AssuanCommand<ScdContext>;

/** A command line split into leading `--options` and arguments. */
export interface ParsedLine {
  /** `--name` → true, `--name=value` → "value" (the first occurrence wins). */
  options: Map<string, string | true>;
  /** Blank-separated arguments after the options. */
  args: string[];
  /** The text after the options, leading blanks removed (values with spaces). */
  rest: string;
}

/**
 * Split `line` like gnupg's `has_option`/`skip_options` (common/server-help.c): options are
 * the leading tokens starting with `--`; a bare `--` ends them and is dropped (the 2.4 agent
 * sends `READKEY --info -- <grip>`).
 */
export function parseLine(line: string): ParsedLine {
  const options = new Map<string, string | true>();
  let rest = line.replace(/^[ \t]+/, "");
  for (;;) {
    const m = /^--(\S*)[ \t]*/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    const token = m[1]!;
    if (token === "") break;
    const eq = token.indexOf("=");
    const name = eq < 0 ? token : token.slice(0, eq);
    if (!options.has(name)) options.set(name, eq < 0 ? true : token.slice(eq + 1));
  }
  const args = rest.split(/[ \t]+/).filter((a) => a !== "");
  return { options, args, rest };
}

/** `strtoul(text, NULL, 0)`: leading number in base 10, 16 (0x) or 8 (0); 0 if none. */
export function parseCount(text: string): number {
  const m = /^\s*(?:(0[xX][0-9A-Fa-f]+)|(0[0-7]*)|([1-9][0-9]*))/.exec(text);
  if (!m) return 0;
  if (m[1]) return parseInt(m[1].slice(2), 16);
  if (m[2]) return parseInt(m[2], 8);
  return parseInt(m[3]!, 10);
}

/** An `IPC parameter error` with stock's description text. */
export function parameterError(description: string): GpgError {
  return new GpgError("ASS_PARAMETER", { description });
}

/**
 * Stock's `open_card`: fail with CARD_REMOVED while the session's removed flag is set, with
 * LOCKED while another session holds the lock; otherwise the bound card, auto-selecting
 * (and binding) the current one — the most recently used known card, as stock's
 * `select_application` without a scan takes `card_top` — when the session has none.
 */
export async function openCard(ctx: ScdContext): Promise<CardEntry> {
  if (ctx.state.cardRemoved) throw new GpgError("CARD_REMOVED");
  if (ctx.cards.sessionLock.lockedByOther(ctx.state)) throw new GpgError("LOCKED");
  const bound = ctx.state.card;
  if (bound) {
    refreshIfStale(ctx, bound);
    return bound;
  }
  const card = await ctx.cards.current(ctx.signal);
  ctx.state.bind(card);
  refreshIfStale(ctx, card);
  return card;
}

/**
 * Drops what the application knows about `card` (its card model, docs/card-state.md) when
 * that is older than the `card-state-ttl` age limit (0: always): the bound on changes made
 * by another program between our transactions, which no reader event reports. Reader
 * events, RESET, LEARN --force and our own writes drop it too, each where it happens.
 */
function refreshIfStale(ctx: ScdContext, card: CardEntry): void {
  const age = card.app?.stateAgeMs?.();
  if (age === undefined) return;
  const ttl = readerSetting(ctx.daemon.config, "card-state-ttl");
  if (age < ttl) return;
  log.debug("Card state of {serial} is {age} ms old; reading the card again", {
    serial: card.serialNo,
    age,
  });
  card.app!.invalidate();
}

/**
 * After a failed command: when it found another card in the reader than the one it began
 * with, forget the card so that the next SERIALNO opens the new one, and report the change
 * to this session as stock does after a removal (CARD_REMOVED until SERIALNO).
 */
export function noteCardChange(ctx: ScdContext, error: unknown): void {
  if (!(error instanceof CardChangedError)) return;
  const card = ctx.state.card;
  if (!card) return;
  log.info("Card in {reader} changed during an operation", { reader: card.reader });
  ctx.cards.forget(card.reader);
  ctx.state.cardRemoved = true;
}

/** {@linkcode openCard} plus its application; UNSUPPORTED_OPERATION without one. */
export async function openApp(
  ctx: ScdContext,
): Promise<{ card: CardEntry; app: CardApplication }> {
  const card = await openCard(ctx);
  if (!card.app) throw new GpgError("UNSUPPORTED_OPERATION");
  return { card, app: card.app };
}

/** Fail with LOCKED when another session holds the lock (stock `IS_LOCKED`). */
export function checkNotLocked(ctx: ScdContext): void {
  if (ctx.cards.sessionLock.lockedByOther(ctx.state)) throw new GpgError("LOCKED");
}

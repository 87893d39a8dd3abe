/**
 * The contract between the Assuan server and an application's command table.
 * @module
 */

/**
 * One Assuan command. `help` is the text for `HELP <name>`: its first line (if it starts with
 * the name) is also the command's line in `HELP`'s list. A command without help is listed by
 * name, and `HELP <name>` answers `Not found`, as libassuan does for a NULL help string.
 *
 * `run` throws a `GpgError` to reply `ERR …`; any other exception is logged and replied to as
 * `ERR … General error`. Returning normally replies `OK` (after any buffered data).
 */
export interface Command<Ctx> {
  /** Upper-case name; a client's verb matches exactly first, then case-insensitively. */
  readonly name: string;
  readonly help?: string;
  /** `args` is the text after the verb; `rawArgs` the same as sent, for binary values. */
  run(ctx: Ctx, args: string, rawArgs?: Uint8Array): Promise<void>;
  /**
   * Where a secret starts in `rawArgs` (the argument bytes as sent), or undefined when the
   * line holds none. The trace then records the line up to there and `[redacted N bytes]`
   * for the rest: SETATTR AESKEY's value, a raw VERIFY's PIN. Decided from the line alone,
   * before `run`, since the line is traced when it is taken.
   */
  secretArgs?(rawArgs: Uint8Array): number | undefined;
}

/** Why a session ended. */
export type SessionEndReason =
  /** The client closed its side. */
  | "eof"
  /** `BYE`. */
  | "bye"
  /** A handler called `forceClose()` (KILLSCD). */
  | "force-close"
  /** An over-long line, with `lineTooLong: "close"`. */
  | "line-too-long"
  /** Writing to the client failed (peer gone). */
  | "write-error"
  /** The server's signal ended it. */
  | "aborted";

/** The result of serving one session. */
export interface SessionEnd {
  readonly reason: SessionEndReason;
}

/**
 * Per-session hooks and state, made by `ServerOptions.createSession` for every connection.
 * Hook errors that are `GpgError`s become the built-in command's ERR line.
 */
export interface Session<Ctx> {
  /** The context passed to a command's `run`; `signal` is that command's AbortSignal. */
  context(signal: AbortSignal): Ctx;
  /** `OPTION key[=value]` after libassuan's parsing (leading `--` removed; value may be ""). */
  option?(key: string, value: string): void | Promise<void>;
  /** `RESET [args]`, before the OK (scdaemon: `reset_notify`). */
  reset?(args: string): void | Promise<void>;
  /** `BYE`, before `OK closing connection`; errors are ignored. */
  bye?(): void | Promise<void>;
  /** The session ended (any reason); scdaemon runs `do_reset(ctrl, 0, 0)` here. */
  close?(end: SessionEnd): void | Promise<void>;
}

/**
 * The Assuan server loop: greeting, standard commands, dispatch to a command table, and the
 * OK/ERR reply of each command (gpg/libassuan:src/assuan-handler.c `process_request`,
 * `dispatch_command`, `assuan_process_done`; src/assuan-listen.c `assuan_accept` for the
 * greeting).
 *
 * Over-long lines: stock scdaemon 2.2.40 ends the session without a reply ("Assuan processing
 * failed: Line passed to IPC too long", scdaemon-protocol.md §2.1). We reply
 * `ERR … Line passed to IPC too long` and keep serving by default (no client of ours sends
 * such lines, and a reply is easier to diagnose than a silent hang-up); `lineTooLong: "close"`
 * restores the stock behaviour.
 *
 * End of input: lines already received are still processed in order, but the running command
 * and every later one get an aborted signal (`abortOnEof`, default true). A client that
 * half-closes its side after writing commands (`printf 'SERIALNO\n' | scd-ts --server`) thus
 * sees signal-aware commands fail, where stock would finish them; pass `abortOnEof: false`
 * for such script use.
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { GpgError } from "../gpg_error/mod.ts";
import { asciiUpper, BUILTIN_NAMES, helpLines, parseOption } from "./builtins.ts";
import type { Command, Session, SessionEnd, SessionEndReason } from "./command.ts";
import { AssuanConnection, type Connection } from "./connection.ts";
import { AssuanSyntaxError, commandArgBytes, commandArgStart, parseLine } from "./parse.ts";
import type { TraceSink } from "./trace.ts";

/** Options for {@linkcode AssuanServer}. */
export interface ServerOptions<Ctx> {
  /** Greeting after `OK ` (scdaemon: "GNU Privacy Guard's Smartcard server ready"). */
  hello?: string;
  /** Commands in registration order (the order of HELP's list after the standard commands). */
  commands: readonly Command<Ctx>[];
  /** Make the per-session state and hooks for a new connection. */
  createSession(conn: Connection): Session<Ctx>;
  /** What to do on a line over 1001 bytes: `"reply"` (default) or `"close"` like stock. */
  lineTooLong?: "reply" | "close";
  /** Abort the running command when the client's input ends (default true). */
  abortOnEof?: boolean;
}

/** Options for {@linkcode AssuanServer.serve}. */
export interface ServeOptions {
  /** Ends the session (after the running command) when aborted. */
  signal?: AbortSignal | undefined;
  trace?: TraceSink | undefined;
}

/** A byte duplex: Deno.Conn, stdin/stdout, or a pair of TransformStreams in tests. */
export interface Duplex {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

interface Entry<Ctx> {
  readonly name: string;
  readonly help?: string | undefined;
  readonly command?: Command<Ctx>;
}

/** What a finished command asks the loop to do. */
interface Call<Ctx> {
  readonly conn: AssuanConnection;
  readonly session: Session<Ctx>;
  readonly args: string;
  bye: boolean;
}

const log = getLogger(["scd-ts", "assuan"]);

/** Serves Assuan sessions with one command table; sessions are independent. */
export class AssuanServer<Ctx> {
  #options: ServerOptions<Ctx>;
  #entries: Entry<Ctx>[];
  #active = 0;

  constructor(options: ServerOptions<Ctx>) {
    this.#options = options;
    this.#entries = BUILTIN_NAMES.map((name) => ({ name }));
    for (const command of options.commands) {
      const same = this.#entries.findIndex((e) => e.name === command.name);
      if (same >= 0 && this.#entries[same]!.command) {
        throw new TypeError(`Cannot register command "${command.name}": registered twice`);
      }
      // Like assuan_register_command, a command named like a standard one replaces it in place.
      const entry = { name: command.name, help: command.help, command };
      if (same >= 0) this.#entries[same] = entry;
      else this.#entries.push(entry);
    }
  }

  /** Sessions being served right now (GETINFO connections). */
  get activeSessions(): number {
    return this.#active;
  }

  /** Serve one session until EOF, BYE, force close, a write error or `signal`. */
  async serve(stream: Duplex, options: ServeOptions = {}): Promise<SessionEnd> {
    this.#active++;
    const conn = new AssuanConnection(stream, {
      abortOnEof: this.#options.abortOnEof ?? true,
      signal: options.signal,
      trace: options.trace,
    });
    let session: Session<Ctx> | undefined;
    let end: SessionEnd = { reason: "eof" };
    try {
      session = this.#options.createSession(conn);
      end = { reason: await this.#loop(conn, session) };
    } catch (e) {
      end = { reason: conn.writer.failure !== undefined ? "write-error" : "aborted" };
      if (!conn.shuttingDown && conn.writer.failure === undefined) {
        log.error("Assuan session failed: {error}", { error: e });
      }
    } finally {
      this.#active--;
      await conn.close();
      try {
        await session?.close?.(end);
      } catch (e) {
        log.error("Cannot clean up Assuan session: {error}", { error: e });
      }
    }
    return end;
  }

  async #loop(conn: AssuanConnection, session: Session<Ctx>): Promise<SessionEndReason> {
    await this.#hello(conn);
    for (;;) {
      if (conn.shuttingDown) return "aborted";
      const r = await conn.readLine();
      if (r.kind === "eof") return "eof";
      if (r.kind === "too-long") {
        log.warning("Line passed to IPC too long: {length} bytes", { length: r.length });
        if (this.#options.lineTooLong === "close") return "line-too-long";
        await conn.writer.err(new GpgError("ASS_LINE_TOO_LONG"));
        continue;
      }
      const reason = await this.#process(conn, session, r.bytes);
      if (reason) return reason;
    }
  }

  async #hello(conn: AssuanConnection): Promise<void> {
    // assuan_accept: a multi-line hello is sent as comments with the last line as the OK.
    const lines = (this.#options.hello ?? "Pleased to meet you").split("\n");
    const last = lines.pop()!;
    for (const line of lines) await conn.writer.comment(line);
    await conn.writer.ok(last);
  }

  /** Handle one line; returns a reason when the session must end. */
  async #process(
    conn: AssuanConnection,
    session: Session<Ctx>,
    bytes: Uint8Array,
  ): Promise<SessionEndReason | undefined> {
    let line;
    try {
      line = parseLine(bytes);
    } catch (e) {
      if (!(e instanceof AssuanSyntaxError)) throw e;
      conn.traceLine(bytes);
      return await this.#finish(conn, new GpgError("ASS_SYNTAX", { description: e.description }));
    }
    const entry = line.kind === "command" ? this.#lookup(line.verb) : undefined;
    const rawArgs = entry?.command ? commandArgBytes(bytes) : undefined;
    conn.traceLine(bytes, this.#secretFrom(entry, bytes, rawArgs));
    if (line.kind === "empty" || line.kind === "comment") return undefined;
    if (line.kind !== "command") {
      // A D line outside an inquiry (`handle_data_line`).
      return await this.#finish(conn, new GpgError("NOT_IMPLEMENTED"));
    }
    if (!entry) return await this.#finish(conn, new GpgError("ASS_UNKNOWN_CMD"));
    const call: Call<Ctx> = { conn, session, args: line.args, bye: false };
    const signal = conn.beginCommand();
    let error: unknown;
    try {
      if (entry.command) {
        await entry.command.run(session.context(signal), line.args, rawArgs);
      } else await this.#builtin(entry.name, call);
    } catch (e) {
      error = e ?? new Error("Command failed without a reason");
    }
    const okText = conn.endCommand();
    return await this.#finish(conn, error, okText, call.bye, entry.name);
  }

  /** Where the command's secret starts in the whole line, if it declares one. */
  #secretFrom(
    entry: Entry<Ctx> | undefined,
    bytes: Uint8Array,
    rawArgs: Uint8Array | undefined,
  ): number | undefined {
    if (!entry?.command?.secretArgs || !rawArgs) return undefined;
    const from = entry.command.secretArgs(rawArgs);
    return from === undefined ? undefined : commandArgStart(bytes) + from;
  }

  #lookup(verb: string): Entry<Ctx> | undefined {
    const upper = asciiUpper(verb);
    return this.#entries.find((e) => e.name === verb) ??
      this.#entries.find((e) => e.name === upper);
  }

  async #builtin(name: string, call: Call<Ctx>): Promise<void> {
    switch (name) {
      case "NOP":
        return;
      case "OPTION": {
        const { key, value } = parseOption(call.args);
        await call.session.option?.(key, value);
        return;
      }
      case "BYE":
        try {
          await call.session.bye?.();
        } catch (e) {
          log.warning("BYE hook failed: {error}", { error: e });
        }
        call.bye = true;
        return;
      case "RESET":
        await call.session.reset?.(call.args);
        return;
      case "HELP":
        for (const line of helpLines(this.#entries, call.args)) await call.conn.writer.line(line);
        return;
      default: // CANCEL, AUTH, END
        throw new GpgError("NOT_IMPLEMENTED");
    }
  }

  /** `assuan_process_done`: flush data, then OK or ERR; returns a reason to end the session. */
  async #finish(
    conn: AssuanConnection,
    error: unknown,
    okText?: string,
    bye = false,
    command = "",
  ): Promise<SessionEndReason | undefined> {
    if (conn.writer.failure !== undefined) return "write-error";
    const force = conn.forceCloseRequested;
    try {
      await conn.writer.flushData();
      // the reply itself is never secret (assuan_process_done ends confidential mode too)
      conn.writer.endConfidential();
      if (error === undefined) {
        if (bye || force) {
          await conn.writer.ok("closing connection").catch(() => {}); // the peer may be gone
          return force ? "force-close" : "bye";
        }
        await conn.writer.ok(okText);
        return undefined;
      }
      const gpgError = error instanceof GpgError
        ? error
        : new GpgError("GENERAL", { cause: error });
      if (!(error instanceof GpgError)) {
        log.error("Command {command} failed: {error}", { command, error });
      }
      await conn.writer.err(gpgError, force ? { description: "[closing connection]" } : {});
      return force ? "force-close" : undefined;
    } catch (e) {
      if (conn.writer.failure !== undefined) return "write-error";
      throw e;
    }
  }
}

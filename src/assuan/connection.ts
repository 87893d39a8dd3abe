/**
 * One Assuan session's I/O as command handlers see it: status and data output, INQUIRE, and
 * an AbortSignal per command.
 *
 * Reading never stops while a command runs: a pump reads lines into a queue, so the end of
 * input is seen at once and aborts the running command (a handler waiting for a touch or a
 * lock gives up when gpg-agent goes away). Lines that arrive during a command stay queued in
 * order; an INQUIRE takes its reply from the head of that queue, and the server loop takes
 * the next command after the handler returns. This is libassuan's lazy reading order
 * (gpg/libassuan:src/assuan-inquire.c `assuan_inquire` reads whatever comes next).
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { GpgError } from "../gpg_error/mod.ts";
import { concat } from "../util/bytes.ts";
import { escapeStatus } from "./escape.ts";
import { LineReader, type ReadResult } from "./line_reader.ts";
import { parseLine } from "./parse.ts";
import type { TraceSink } from "./trace.ts";
import { AssuanWriter } from "./writer.ts";

/** Options for {@linkcode Connection.inquire}. */
export interface InquireOptions {
  /** Most bytes accepted; more → `GPG_ERR_ASS_TOO_MUCH_DATA` after END. 0 or absent: no limit. */
  maxLength?: number;
  /** Reply holds a secret (PIN, key): redacted in the trace, buffers wiped. */
  confidential?: boolean;
  /** No data expected (libassuan's `assuan_inquire(ctx, kw, NULL, NULL, 0)`): a D line is an error. */
  noData?: boolean;
}

/** What a command handler may do on its connection. */
export interface Connection {
  /** Aborts when the peer closes the connection or the server shuts down. */
  readonly signal: AbortSignal;
  /** True once the end of the client's input has been seen. */
  readonly peerClosed: boolean;
  /**
   * Resolves once the client has sent a line (or closed its side) that nobody read yet,
   * without reading it: a long-running command (DEVINFO --watch) ends on any client input,
   * as stock's `card_list_wait` selects on the client's fd.
   */
  inputPending(): Promise<void>;
  /** `S <KEYWORD> <args>`, each argument escaped like scdaemon's `send_status_info`. */
  status(keyword: string, ...args: (string | Uint8Array)[]): Promise<void>;
  /** `S <KEYWORD> <text>` with text sent as is (`send_status_direct`); text with LF is not sent. */
  statusRaw(keyword: string, text?: string | Uint8Array): Promise<void>;
  /** Data for the reply, sent as D lines (full lines at once, the rest before OK/ERR). */
  data(bytes: Uint8Array | string): Promise<void>;
  /** Send buffered data now as a (short) D line. */
  flushData(): Promise<void>;
  /**
   * Mark this command's data output confidential (libassuan's `assuan_begin_confidential`):
   * its D lines are traced as `[redacted N bytes]`. Lasts until the command's reply is sent.
   */
  beginConfidential(): void;
  /** `INQUIRE <KEYWORD>[ <args>]`; resolves with the client's data after END. */
  inquire(keyword: string, args?: string, options?: InquireOptions): Promise<Uint8Array>;
  /** `# <text>`. */
  comment(text: string): Promise<void>;
  /** Text for this command's OK line (`assuan_set_okay_line`). */
  setOkText(text: string): void;
  /** End the session after this command (`ASSUAN_FORCE_CLOSE`, used by KILLSCD). */
  forceClose(): void;
}

/** Options for {@linkcode AssuanConnection}. */
export interface AssuanConnectionOptions {
  trace?: TraceSink | undefined;
  /** Abort the running command when input ends (default true). */
  abortOnEof?: boolean;
  /** Ends the session from outside (server shutdown). */
  signal?: AbortSignal | undefined;
}

/** Lines read ahead while a command runs before the pump waits (about 100 KB). */
const QUEUE_LIMIT = 100;
const log = getLogger(["scd-ts", "assuan"]);
const encoder = new TextEncoder();

function eofError(): GpgError {
  return new GpgError("EOF", { description: "peer closed the connection" });
}

/** Session I/O used by the server loop; handlers see it as {@linkcode Connection}. */
export class AssuanConnection implements Connection {
  /** The line writer (server loop use). */
  readonly writer: AssuanWriter;
  #reader: LineReader;
  #trace: TraceSink | undefined;
  #queue: ReadResult[] = [];
  #wake: (() => void) | undefined;
  #drained: (() => void) | undefined;
  #session = new AbortController();
  #command: AbortController | undefined;
  #peerClosed = false;
  #abortOnEof: boolean;
  #inInquire = false;
  #okText: string | undefined;
  #forceClose = false;
  #shutdown = false;
  #detach: (() => void) | undefined;
  #pump: Promise<void>;
  #onInput = new Set<() => void>();

  constructor(
    stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
    options: AssuanConnectionOptions = {},
  ) {
    this.#trace = options.trace;
    this.#abortOnEof = options.abortOnEof ?? true;
    this.#reader = new LineReader(stream.readable);
    this.writer = new AssuanWriter(stream.writable, { trace: this.#trace });
    const outer = options.signal;
    if (outer) {
      const stop = () => {
        this.#shutdown = true;
        this.#abort(outer.reason);
        this.#wake?.();
      };
      if (outer.aborted) stop();
      else {
        outer.addEventListener("abort", stop, { once: true });
        this.#detach = () => outer.removeEventListener("abort", stop);
      }
    }
    this.#pump = this.#runPump();
  }

  get signal(): AbortSignal {
    return this.#command?.signal ?? this.#session.signal;
  }

  get peerClosed(): boolean {
    return this.#peerClosed;
  }

  inputPending(): Promise<void> {
    if (this.#queue.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#onInput.delete(done);
        resolve();
      };
      this.#onInput.add(done);
    });
  }

  /** The session-wide signal: aborted on shutdown (and on EOF unless disabled). */
  get sessionSignal(): AbortSignal {
    return this.#session.signal;
  }

  /** True once the server's signal has ended this session. */
  get shuttingDown(): boolean {
    return this.#shutdown;
  }

  /** Whether a handler asked to end the session. */
  get forceCloseRequested(): boolean {
    return this.#forceClose;
  }

  async status(keyword: string, ...args: (string | Uint8Array)[]): Promise<void> {
    await this.writer.status(keyword, escapeStatus(args));
  }

  async statusRaw(keyword: string, text: string | Uint8Array = ""): Promise<void> {
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    if (bytes.includes(0x0a)) {
      // Like send_status_direct (gpg/gnupg:scd/command.c): log and drop rather than fail.
      log.error("Cannot send status {keyword}: LF in status line", { keyword });
      return;
    }
    await this.writer.status(keyword, bytes);
  }

  async data(bytes: Uint8Array | string): Promise<void> {
    await this.writer.data(typeof bytes === "string" ? encoder.encode(bytes) : bytes);
  }

  async flushData(): Promise<void> {
    await this.writer.flushData();
  }

  beginConfidential(): void {
    this.writer.beginConfidential();
  }

  async comment(text: string): Promise<void> {
    await this.writer.comment(text);
  }

  setOkText(text: string): void {
    this.#okText = text;
  }

  forceClose(): void {
    this.#forceClose = true;
  }

  async inquire(keyword: string, args = "", options: InquireOptions = {}): Promise<Uint8Array> {
    const text = args ? `${keyword} ${args}` : keyword;
    // assuan_inquire: keyword (with args) must fit `cmdbuf[LINELENGTH-10]` with 10 to spare.
    if (10 + encoder.encode(text).length >= 1002 - 10) throw new GpgError("ASS_INV_VALUE");
    if (this.#inInquire) throw new GpgError("ASS_NESTED_COMMANDS");
    this.#inInquire = true;
    const chunks: Uint8Array[] = [];
    const owner = this.#command;
    const secret = options.confidential ?? false;
    try {
      await this.writer.inquire(text);
      let total = 0;
      let tooLarge = false;
      for (;;) {
        const bytes = await this.#inquiryLine(owner);
        const line = parseLine(bytes, { inquiry: true });
        if (line.kind === "data" && secret) this.#trace?.incomingRedacted(bytes.length);
        else this.#trace?.incoming(bytes);
        if (secret) bytes.fill(0);
        if (line.kind === "end") break;
        if (line.kind === "can") throw new GpgError("ASS_CANCELED");
        if (line.kind === "command" || (line.kind === "data" && options.noData)) {
          throw new GpgError("ASS_UNEXPECTED_CMD");
        }
        if (line.kind !== "data") continue;
        const max = options.maxLength ?? 0;
        if (tooLarge || (max > 0 && total + line.data.length > max)) {
          tooLarge = true;
          line.data.fill(0);
          continue;
        }
        chunks.push(line.data);
        total += line.data.length;
      }
      if (tooLarge) throw new GpgError("ASS_TOO_MUCH_DATA");
      return concat(...chunks);
    } finally {
      if (secret) { for (const c of chunks) c.fill(0); }
      this.#inInquire = false;
    }
  }

  /**
   * Next line for the server loop, or the end of input / an over-long line. The server
   * traces the line with {@linkcode traceLine} once it knows the command (its secret part).
   */
  async readLine(): Promise<ReadResult> {
    return await this.#next(this.#session.signal);
  }

  /** Trace a line the server loop took; bytes from `secretFrom` on are redacted. */
  traceLine(bytes: Uint8Array, secretFrom?: number): void {
    if (secretFrom === undefined || secretFrom >= bytes.length) this.#trace?.incoming(bytes);
    else {
      this.#trace?.incomingRedacted(bytes.length - secretFrom, bytes.subarray(0, secretFrom));
    }
  }

  /** Start a command: a fresh signal, already aborted if the session is. */
  beginCommand(): AbortSignal {
    const controller = new AbortController();
    if (this.#session.signal.aborted) controller.abort(this.#session.signal.reason);
    this.#command = controller;
    this.#okText = undefined;
    this.writer.endConfidential(); // each command starts in the clear
    return controller.signal;
  }

  /** End a command; returns the OK text it set, if any. */
  endCommand(): string | undefined {
    // Work a handler left running (a floating inquire) must not outlive its command.
    this.#command?.abort(new GpgError("CANCELED", { description: "command finished" }));
    this.#command = undefined;
    this.#wake?.();
    const text = this.#okText;
    this.#okText = undefined;
    return text;
  }

  /** Stop reading, close the output, wait for the pump. Safe to call twice. */
  async close(): Promise<void> {
    this.#detach?.();
    this.#abort(eofError());
    await this.#reader.cancel();
    this.#wake?.();
    this.#drained?.();
    await this.#pump;
    await this.writer.close();
  }

  async #inquiryLine(owner: AbortController | undefined): Promise<Uint8Array> {
    const r = await this.#next(this.signal, owner);
    if (r.kind === "eof") throw eofError();
    if (r.kind === "too-long") throw new GpgError("ASS_LINE_TOO_LONG");
    return r.bytes;
  }

  /** Take the next queued result; the EOF result stays queued. Throws when `signal` aborts. */
  async #next(signal: AbortSignal, owner?: AbortController): Promise<ReadResult> {
    for (;;) {
      if (owner && owner !== this.#command) throw new GpgError("ASS_NESTED_COMMANDS");
      const head = this.#queue[0];
      if (head) {
        if (head.kind !== "eof") this.#queue.shift();
        this.#drained?.();
        return head;
      }
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  async #runPump(): Promise<void> {
    for (;;) {
      while (this.#queue.length >= QUEUE_LIMIT && !this.#session.signal.aborted) {
        await new Promise<void>((resolve) => (this.#drained = resolve));
        this.#drained = undefined;
      }
      const r = await this.#reader.read();
      this.#queue.push(r);
      this.#wake?.();
      for (const done of [...this.#onInput]) done();
      if (r.kind === "eof") {
        this.#peerClosed = true;
        if (this.#abortOnEof) this.#abort(eofError());
        return;
      }
    }
  }

  #abort(reason: unknown): void {
    if (!this.#session.signal.aborted) this.#session.abort(reason);
    if (this.#command && !this.#command.signal.aborted) this.#command.abort(reason);
  }
}

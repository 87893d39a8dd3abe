/**
 * Server → client lines, byte for byte as libassuan writes them:
 *
 * - Every line goes through `assuan_write_line` (gpg/libassuan:src/assuan-buffer.c): it is cut
 *   at its first LF, and a line longer than 1000 bytes is cut to 999 (`_assuan_write_line`:
 *   `len + 2 > ASSUAN_LINELENGTH` → `len = ASSUAN_LINELENGTH - 3`).
 * - `ERR` (src/assuan-handler.c `assuan_process_done`): `ERR <value> <strerror> <<source>>`
 *   and ` - <description>` when there is one; strerror comes from `gpg_strerror_r` into a
 *   50-byte buffer (at most 49 bytes), source is cut to 30 bytes and the description to 100.
 * - `S <KEYWORD>[ <text>]` (`assuan_write_status`), no escaping here.
 * - D lines (`_assuan_cookie_write_data`): bytes are escaped into a line that starts with
 *   `D `; before each byte the line is checked against 998 (LINELENGTH-4) and, once it has
 *   reached 998, it is sent. A full line is therefore 998–1000 bytes before its LF (an
 *   escape that starts at 997 completes), i.e. 996 raw bytes when nothing needs escaping.
 *   A partial line waits for more data or for {@linkcode AssuanWriter.flushData}.
 *
 * Confidential output (libassuan's `assuan_begin_confidential`): between
 * {@linkcode AssuanWriter.beginConfidential} and {@linkcode AssuanWriter.endConfidential}
 * every line is traced as `[redacted N bytes]`, as libassuan logs every line of a
 * confidential context as "[Confidential data not shown]". A handler begins it right before
 * its secret (PKDECRYPT after `S PADDING`), and the server ends it before the OK/ERR reply, so
 * the lines around the secret stay readable.
 * @module
 */

import { type GpgError, gpgStrerror, gpgStrsource } from "../gpg_error/mod.ts";
import { concat } from "../util/bytes.ts";
import type { TraceSink } from "./trace.ts";

const encoder = new TextEncoder();
const HEX = "0123456789ABCDEF";
/** `ASSUAN_LINELENGTH`. */
const LINELENGTH = 1002;
/** A D line is sent once it holds this many bytes (`LINELENGTH-2-2`). */
const DATA_LINE_FULL = LINELENGTH - 4;

function bytesOf(text: string | Uint8Array): Uint8Array {
  return typeof text === "string" ? encoder.encode(text) : text;
}

function join(...parts: (string | Uint8Array)[]): Uint8Array {
  return concat(...parts.map(bytesOf));
}

/** Apply `assuan_write_line`'s rules: cut at the first LF, cut over-long lines to 999 bytes. */
export function limitLine(line: Uint8Array): Uint8Array {
  const lf = line.indexOf(0x0a);
  let len = lf >= 0 ? lf : line.length;
  if (len + 2 > LINELENGTH) len = LINELENGTH - 3;
  return line.subarray(0, len);
}

/** Options for {@linkcode formatErrLine}. */
export interface ErrLineOptions {
  /** Use this text instead of the error's description (`[closing connection]` on force close). */
  description?: string;
}

/** The `ERR` line libassuan writes for `error` (without LF, before `limitLine`). */
export function formatErrLine(error: GpgError, options: ErrLineOptions = {}): Uint8Array {
  const text = encoder.encode(gpgStrerror(error.code)).subarray(0, 49);
  const source = encoder.encode(gpgStrsource(error.source)).subarray(0, 30);
  const description = options.description ?? error.description;
  const parts: (string | Uint8Array)[] = [`ERR ${error.value} `, text, " <", source, ">"];
  if (description !== undefined) parts.push(" - ", encoder.encode(description).subarray(0, 100));
  return join(...parts);
}

/** Options for {@linkcode AssuanWriter}. */
export interface AssuanWriterOptions {
  /** Receives every line written (after truncation). */
  trace?: TraceSink | undefined;
}

/** Writes Assuan lines to a byte stream; one chunk per line. */
export class AssuanWriter {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #trace: TraceSink | undefined;
  #data: number[] = [];
  #failed: unknown = undefined;
  #confidential = false;

  constructor(sink: WritableStream<Uint8Array>, options: AssuanWriterOptions = {}) {
    this.#writer = sink.getWriter();
    this.#trace = options.trace;
  }

  /** The first write error, if any; after one, every write rejects with it. */
  get failure(): unknown {
    return this.#failed;
  }

  /** Whether lines are written as confidential (redacted in the trace). */
  get confidential(): boolean {
    return this.#confidential;
  }

  /** From now on, lines are confidential; buffered data becomes confidential too. */
  beginConfidential(): void {
    this.#confidential = true;
  }

  /**
   * Back to traced D lines. Call after {@linkcode flushData}: a partial line still buffered
   * would otherwise go out in the clear.
   */
  endConfidential(): void {
    this.#confidential = false;
  }

  /** Write one line (`assuan_write_line`). */
  async line(text: string | Uint8Array): Promise<void> {
    const line = limitLine(bytesOf(text));
    this.#traceOut(line);
    await this.#send(join(line, "\n"));
  }

  /** `OK` or `OK <text>`. */
  async ok(text?: string): Promise<void> {
    await this.line(text ? `OK ${text}` : "OK");
  }

  /** The ERR line for a GpgError. */
  async err(error: GpgError, options: ErrLineOptions = {}): Promise<void> {
    await this.line(formatErrLine(error, options));
  }

  /** `S <KEYWORD>[ <text>]`; `text` must already be escaped as the keyword requires. */
  async status(keyword: string, text: string | Uint8Array = ""): Promise<void> {
    const body = bytesOf(text);
    await this.line(body.length ? join("S ", keyword, " ", body) : join("S ", keyword));
  }

  /** `# <text>`. */
  async comment(text: string): Promise<void> {
    await this.line(`# ${text}`);
  }

  /** `INQUIRE <keyword and arguments>`. */
  async inquire(keywordAndArgs: string): Promise<void> {
    await this.line(`INQUIRE ${keywordAndArgs}`);
  }

  /** Queue data; every full D line is sent at once, a partial one waits for {@linkcode flushData}. */
  async data(bytes: Uint8Array): Promise<void> {
    for (const b of bytes) {
      const line = this.#data;
      if (line.length === 0) line.push(0x44, 0x20);
      if (b === 0x25 || b === 0x0d || b === 0x0a) {
        line.push(0x25, HEX.charCodeAt(b >> 4), HEX.charCodeAt(b & 15));
      } else {
        line.push(b);
      }
      if (line.length >= DATA_LINE_FULL) await this.#sendDataLine();
    }
  }

  /** Send a partial D line, if any (`assuan_send_data(ctx, NULL, 0)` on a server). */
  async flushData(): Promise<void> {
    if (this.#data.length) await this.#sendDataLine();
  }

  /** Drop buffered data without sending it. */
  discardData(): void {
    this.#data.fill(0);
    this.#data = [];
  }

  /** Close the stream (best effort). */
  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } catch {
      // The peer may be gone already.
    }
  }

  async #sendDataLine(): Promise<void> {
    const line = Uint8Array.from(this.#data);
    this.discardData();
    this.#traceOut(line);
    const wire = join(line, "\n");
    try {
      await this.#send(wire);
    } finally {
      // A confidential line is a secret (a session key): wipe our copies once the sink has
      // taken it. Sinks must be done with a chunk when its write resolves, as a socket is
      // (Deno writes it to the kernel first); TestClient copies for the same reason.
      if (this.#confidential) {
        line.fill(0);
        wire.fill(0);
      }
    }
  }

  #traceOut(line: Uint8Array): void {
    if (this.#confidential) this.#trace?.outgoingRedacted(line.length);
    else this.#trace?.outgoing(line);
  }

  async #send(bytes: Uint8Array): Promise<void> {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      await this.#writer.write(bytes);
    } catch (e) {
      this.#failed = e;
      throw e;
    }
  }
}

/**
 * Assuan trace tee: every line of a session, marked `<- ` (from the client) or `-> ` (to the
 * client). Secrets are replaced by `[redacted N bytes]`, N being the length of what was left
 * out as it travelled on the wire, so PINs, keys and decrypted session keys never reach the
 * file (style.md §3.11; design.md §2 item 8, `SCD_TS_TRACE`):
 *
 * - the D lines answering a confidential inquiry (NEEDPIN, KEYDATA, VALUE): `<- [redacted N bytes]`;
 * - D lines written while the handler has marked its output confidential
 *   (`Connection.beginConfidential`, PKDECRYPT's plaintext): `-> [redacted N bytes]`;
 * - the secret tail of a command line (`Command.secretArgs`: SETATTR AESKEY's value, a raw
 *   VERIFY's PIN): `<- SETATTR AESKEY [redacted N bytes]`.
 *
 * Everything else (status lines, OK/ERR, INQUIRE, other data) is recorded as sent.
 *
 * The file is opened as a private file (util/private_file.ts: no symlink, ours, 0600).
 * @module
 */

import { concat } from "../util/bytes.ts";
import { openPrivateAppend } from "../util/private_file.ts";

/** Receives the lines of a session (without their LF). */
export interface TraceSink {
  /** A line read from the client. */
  incoming(line: Uint8Array): void;
  /**
   * A confidential line read from the client: only `head` (the part before the secret, e.g.
   * `SETATTR AESKEY `) and the length of the rest may be recorded.
   */
  incomingRedacted(length: number, head?: Uint8Array): void;
  /** A line written to the client. */
  outgoing(line: Uint8Array): void;
  /** A confidential line written to the client: only its length may be recorded. */
  outgoingRedacted(length: number): void;
}

const encoder = new TextEncoder();
const IN = encoder.encode("<- ");
const OUT = encoder.encode("-> ");
const LF = Uint8Array.of(0x0a);

/** `head` (a blank added unless it ends in one) and `[redacted N bytes]`. */
function redacted(length: number, head: Uint8Array = new Uint8Array(0)): Uint8Array {
  const last = head[head.length - 1];
  const gap = head.length > 0 && last !== 0x20 && last !== 0x09 ? " " : "";
  return concat(head, encoder.encode(`${gap}[redacted ${length} bytes]`));
}

function record(mark: Uint8Array, line: Uint8Array): Uint8Array {
  return concat(mark, line, LF);
}

/** What a {@linkcode TraceFile} writes to: a file, or stderr. */
interface TraceOutput {
  writeSync(p: Uint8Array): number;
  close(): void;
}

/**
 * A trace written to a file, appending. Writes are synchronous so that the order of records
 * is the order of events even when several sessions share one file; tracing is a debugging
 * aid, not a hot path.
 */
export class TraceFile implements TraceSink, Disposable {
  #file: TraceOutput | undefined;
  #prefix: string;
  #owned: boolean;

  private constructor(file: TraceOutput, prefix: string, owned: boolean) {
    this.#file = file;
    this.#prefix = prefix;
    this.#owned = owned;
  }

  /**
   * Open (append; created 0600, an existing file of ours made 0600) a trace file; a symlink or
   * another user's file is refused. `prefix` starts every record (e.g. a session id).
   */
  static async open(path: string, options: { prefix?: string } = {}): Promise<TraceFile> {
    return new TraceFile(await openPrivateAppend(path), options.prefix ?? "", true);
  }

  /** A trace to stderr (the fallback when the file cannot be used); close leaves stderr open. */
  static stderr(options: { prefix?: string } = {}): TraceFile {
    return new TraceFile(Deno.stderr, options.prefix ?? "", false);
  }

  /** A view of the same file whose records start with `prefix` (one per session). */
  withPrefix(prefix: string): TraceSink {
    return {
      incoming: (line) => this.#write(prefix, IN, line),
      incomingRedacted: (n, head) => this.#write(prefix, IN, redacted(n, head)),
      outgoing: (line) => this.#write(prefix, OUT, line),
      outgoingRedacted: (n) => this.#write(prefix, OUT, redacted(n)),
    };
  }

  incoming(line: Uint8Array): void {
    this.#write(this.#prefix, IN, line);
  }

  incomingRedacted(length: number, head?: Uint8Array): void {
    this.#write(this.#prefix, IN, redacted(length, head));
  }

  outgoing(line: Uint8Array): void {
    this.#write(this.#prefix, OUT, line);
  }

  outgoingRedacted(length: number): void {
    this.#write(this.#prefix, OUT, redacted(length));
  }

  /** Close the file; later records are dropped. Safe to call twice. */
  close(): void {
    if (this.#owned) this.#file?.close();
    this.#file = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #write(prefix: string, mark: Uint8Array, line: Uint8Array): void {
    if (!this.#file) return;
    const bytes = record(mark, line);
    const out = prefix ? concat(encoder.encode(prefix), bytes) : bytes;
    let off = 0;
    while (off < out.length) off += this.#file.writeSync(out.subarray(off));
  }
}

/** An in-memory trace (tests, debugging): lines as text, `<- `/`-> ` marked. */
export class MemoryTrace implements TraceSink {
  /** The recorded lines. */
  readonly lines: string[] = [];
  #decoder = new TextDecoder();

  incoming(line: Uint8Array): void {
    this.lines.push("<- " + this.#decoder.decode(line));
  }

  incomingRedacted(length: number, head?: Uint8Array): void {
    this.lines.push("<- " + this.#decoder.decode(redacted(length, head)));
  }

  outgoing(line: Uint8Array): void {
    this.lines.push("-> " + this.#decoder.decode(line));
  }

  outgoingRedacted(length: number): void {
    this.lines.push("-> " + this.#decoder.decode(redacted(length)));
  }
}

/**
 * Byte-level Assuan line reader.
 *
 * Rule (gpg/libassuan:src/assuan-buffer.c `_assuan_read_line`, `ASSUAN_LINELENGTH` = 1002): a
 * line is accepted when its LF lies within the first 1002 bytes, i.e. at most 1001 bytes
 * before the LF (1000 + an optional CR, though libassuan does not insist on the CR). One CR
 * right before the LF is removed. Lines are returned as bytes and never decoded, so D-line
 * data keeps every byte. A longer line is reported once as `too-long` after its LF has been
 * skipped (the reader then continues with the next line); stock libassuan instead returns
 * `GPG_ERR_ASS_LINE_TOO_LONG` mid-line and scdaemon ends the session (the server decides
 * which behaviour to follow). Bytes after the last LF at end of input are dropped, as
 * libassuan does (`GPG_ERR_ASS_INCOMPLETE_LINE`).
 *
 * Consumed bytes are zeroed in the internal buffer, since inquiry replies carry PINs.
 * @module
 */

/** `ASSUAN_LINELENGTH`: the most bytes of one line, LF included. */
export const ASSUAN_LINELENGTH = 1002;

/** Result of {@linkcode LineReader.read}. */
export type ReadResult =
  /** A complete line without its LF (and without one CR before it). */
  | { readonly kind: "line"; readonly bytes: Uint8Array }
  /** A line longer than the limit; `length` bytes (LF excluded) were skipped. */
  | { readonly kind: "too-long"; readonly length: number }
  /** End of input; `partial` bytes of an unterminated last line were dropped. */
  | { readonly kind: "eof"; readonly partial: number };

/** Options for {@linkcode LineReader}. */
export interface LineReaderOptions {
  /** Largest accepted line, LF included; default {@linkcode ASSUAN_LINELENGTH}. */
  maxLineLength?: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Reads Assuan lines from a byte stream. */
export class LineReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #max: number;
  #buf = new Uint8Array(0);
  #eof = false;

  constructor(source: ReadableStream<Uint8Array>, options: LineReaderOptions = {}) {
    this.#reader = source.getReader();
    this.#max = options.maxLineLength ?? ASSUAN_LINELENGTH;
  }

  /** Read the next line, an over-long line report, or end of input. */
  async read(): Promise<ReadResult> {
    for (;;) {
      const lf = this.#buf.indexOf(LF);
      if (lf >= 0 && lf < this.#max) return { kind: "line", bytes: this.#take(lf) };
      if (lf >= 0 || this.#buf.length >= this.#max) return await this.#skipLongLine();
      if (this.#eof) return { kind: "eof", partial: this.#drop(this.#buf.length) };
      await this.#fill();
    }
  }

  /** Stop reading and release the source. */
  async cancel(): Promise<void> {
    this.#eof = true;
    this.#drop(this.#buf.length);
    try {
      await this.#reader.cancel();
    } catch {
      // The source may already be errored or closed; nothing left to release.
    }
  }

  async #skipLongLine(): Promise<ReadResult> {
    let skipped = 0;
    for (;;) {
      const lf = this.#buf.indexOf(LF);
      if (lf >= 0) {
        skipped += this.#drop(lf + 1) - 1;
        return { kind: "too-long", length: skipped };
      }
      skipped += this.#drop(this.#buf.length);
      if (this.#eof) return { kind: "eof", partial: skipped };
      await this.#fill();
    }
  }

  /** Remove the line ending at `lf` from the buffer and return it without CR/LF. */
  #take(lf: number): Uint8Array {
    const end = lf > 0 && this.#buf[lf - 1] === CR ? lf - 1 : lf;
    const line = this.#buf.slice(0, end);
    this.#drop(lf + 1);
    return line;
  }

  /** Drop `n` bytes from the front of the buffer, zeroing them; returns `n`. */
  #drop(n: number): number {
    const rest = this.#buf.slice(n);
    this.#buf.fill(0);
    this.#buf = rest;
    return n;
  }

  async #fill(): Promise<void> {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await this.#reader.read();
    } catch {
      // A broken pipe or reset socket ends the session like EOF does.
      this.#eof = true;
      return;
    }
    if (chunk.done) {
      this.#eof = true;
      return;
    }
    const next = new Uint8Array(this.#buf.length + chunk.value.length);
    next.set(this.#buf);
    next.set(chunk.value, this.#buf.length);
    this.#buf.fill(0);
    chunk.value.fill(0);
    this.#buf = next;
  }
}

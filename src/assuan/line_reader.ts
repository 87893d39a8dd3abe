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
 *
 * Cost is linear in the input: the buffer keeps a read offset, a line is taken by moving it,
 * and the unread rest (less than one line when more input is needed) is moved to the front
 * only when a chunk does not fit behind it. {@linkcode LineReader.bytesMoved} counts every
 * byte copied inside the reader so that tests can check this without timing.
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
  /** Unread bytes are `#buf[#start..#end)`; bytes outside that range are zero. */
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #eof = false;
  #moved = 0;

  constructor(source: ReadableStream<Uint8Array>, options: LineReaderOptions = {}) {
    this.#reader = source.getReader();
    this.#max = options.maxLineLength ?? ASSUAN_LINELENGTH;
  }

  /** Bytes copied inside the reader so far (chunks taken in, compaction, growth, lines out). */
  get bytesMoved(): number {
    return this.#moved;
  }

  /** Read the next line, an over-long line report, or end of input. */
  async read(): Promise<ReadResult> {
    for (;;) {
      const lf = this.#indexOfLf();
      if (lf >= 0 && lf < this.#max) return { kind: "line", bytes: this.#take(lf) };
      if (lf >= 0 || this.#length >= this.#max) return await this.#skipLongLine();
      if (this.#eof) return { kind: "eof", partial: this.#drop(this.#length) };
      await this.#fill();
    }
  }

  /** Stop reading and release the source. */
  async cancel(): Promise<void> {
    this.#eof = true;
    this.#drop(this.#length);
    try {
      await this.#reader.cancel();
    } catch {
      // The source may already be errored or closed; nothing left to release.
    }
  }

  get #length(): number {
    return this.#end - this.#start;
  }

  /** Offset of the first LF from the read offset, or -1. */
  #indexOfLf(): number {
    if (this.#start === this.#end) return -1;
    const at = this.#buf.indexOf(LF, this.#start); // bytes past #end are zero, never LF
    return at >= 0 && at < this.#end ? at - this.#start : -1;
  }

  async #skipLongLine(): Promise<ReadResult> {
    let skipped = 0;
    for (;;) {
      const lf = this.#indexOfLf();
      if (lf >= 0) {
        skipped += this.#drop(lf + 1) - 1;
        return { kind: "too-long", length: skipped };
      }
      skipped += this.#drop(this.#length);
      if (this.#eof) return { kind: "eof", partial: skipped };
      await this.#fill();
    }
  }

  /** Remove the line ending at `lf` (from the read offset) and return it without CR/LF. */
  #take(lf: number): Uint8Array {
    const at = this.#start + lf;
    const end = lf > 0 && this.#buf[at - 1] === CR ? at - 1 : at;
    const line = this.#buf.slice(this.#start, end);
    this.#moved += line.length;
    this.#drop(lf + 1);
    return line;
  }

  /** Drop `n` bytes at the read offset, zeroing them; returns `n`. */
  #drop(n: number): number {
    this.#buf.fill(0, this.#start, this.#start + n);
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
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
    this.#makeRoom(chunk.value.length);
    this.#buf.set(chunk.value, this.#end);
    this.#end += chunk.value.length;
    this.#moved += chunk.value.length;
    chunk.value.fill(0);
  }

  /** Room for `n` more bytes behind the unread ones: compact, or grow when that is not enough. */
  #makeRoom(n: number): void {
    if (this.#end + n <= this.#buf.length) return;
    const length = this.#length;
    if (length + n <= this.#buf.length) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#buf.fill(0, length, this.#end);
    } else {
      const next = new Uint8Array(Math.max(2 * this.#buf.length, length + n, 4096));
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf.fill(0);
      this.#buf = next;
    }
    this.#moved += length;
    this.#start = 0;
    this.#end = length;
  }
}

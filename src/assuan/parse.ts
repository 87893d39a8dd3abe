/**
 * Client line → `ClientLine`, following libassuan's server side:
 *
 * - Outside an inquiry (gpg/libassuan:src/assuan-handler.c `process_request`,
 *   `dispatch_command`): empty lines and lines starting with `#` are ignored; `D ` (uppercase,
 *   one space) is a data line; anything else is a command whose verb runs up to the first
 *   space or tab, with the white space after it skipped. Leading white space is an error
 *   (`GPG_ERR_ASS_SYNTAX` "leading white-space"). Commands are C strings there, so a command
 *   line ends at its first NUL. `END` and `BYE` are ordinary commands in this state.
 * - Inside an inquiry (src/assuan-inquire.c `assuan_inquire`): `END` (any case, then end of
 *   line or a space), `CAN` (any case, anything may follow), `D `/`d ` data; anything else
 *   is returned as a command, which the inquiry treats as unexpected.
 * @module
 */

import { unescapeData } from "./escape.ts";

/** One parsed client line. */
export type ClientLine =
  | { readonly kind: "command"; readonly verb: string; readonly args: string }
  /** A D line; `data` is the unescaped payload. */
  | { readonly kind: "data"; readonly data: Uint8Array }
  | { readonly kind: "end" }
  | { readonly kind: "can" }
  | { readonly kind: "comment" }
  | { readonly kind: "empty" };

/** A command line Assuan cannot dispatch; `description` is libassuan's text for the ERR line. */
export class AssuanSyntaxError extends SyntaxError {
  override name = "AssuanSyntaxError";
  /** The text libassuan appends to `ERR ... IPC syntax error <SCD> - `. */
  readonly description: string;

  constructor(description: string) {
    super(`Cannot parse Assuan line: ${description}`);
    this.description = description;
  }
}

/** Options for {@linkcode parseLine}. */
export interface ParseOptions {
  /** Parse as a reply to an INQUIRE (END/CAN/D accepted in any case). */
  inquiry?: boolean;
}

const SPACE = 0x20;
const TAB = 0x09;
const decoder = new TextDecoder();

function isBlank(b: number | undefined): boolean {
  return b === SPACE || b === TAB;
}

function upper(b: number | undefined): number | undefined {
  return b !== undefined && b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
}

function startsWithWord(line: Uint8Array, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (upper(line[i]) !== word.charCodeAt(i)) return false;
  return true;
}

/** Parse one line (without its LF). Throws {@linkcode AssuanSyntaxError} for a bad command. */
export function parseLine(line: Uint8Array, options: ParseOptions = {}): ClientLine {
  if (line.length === 0) return { kind: "empty" };
  if (line[0] === 0x23) return { kind: "comment" };
  if (options.inquiry) {
    if (startsWithWord(line, "END") && (line.length === 3 || line[3] === SPACE)) {
      return { kind: "end" };
    }
    if (startsWithWord(line, "CAN")) return { kind: "can" };
    if (upper(line[0]) === 0x44 && line[1] === SPACE) {
      return { kind: "data", data: unescapeData(line.subarray(2)) };
    }
    return parseCommand(line, false);
  }
  if (line[0] === 0x44 && line[1] === SPACE) {
    return { kind: "data", data: unescapeData(line.subarray(2)) };
  }
  return parseCommand(line, true);
}

/**
 * The argument bytes of a command line exactly as sent (up to a NUL, after the verb and its
 * blanks). `args` of a parsed line decodes them as UTF-8, which replaces invalid sequences;
 * commands whose values may be binary (scdaemon's SETATTR KDF) read these instead.
 */
export function commandArgBytes(line: Uint8Array): Uint8Array {
  const nul = line.indexOf(0);
  const text = nul >= 0 ? line.subarray(0, nul) : line;
  return text.slice(commandArgStart(line));
}

/** Where {@linkcode commandArgBytes} starts in `line` (after the verb and its blanks). */
export function commandArgStart(line: Uint8Array): number {
  const nul = line.indexOf(0);
  const end = nul >= 0 ? nul : line.length;
  let start = 0;
  while (start < end && !isBlank(line[start])) start++;
  while (start < end && isBlank(line[start])) start++;
  return start;
}

function parseCommand(line: Uint8Array, strict: boolean): ClientLine {
  const nul = line.indexOf(0);
  const text = nul >= 0 ? line.subarray(0, nul) : line;
  let verbEnd = 0;
  while (verbEnd < text.length && !isBlank(text[verbEnd])) verbEnd++;
  if (verbEnd === 0 && strict) throw new AssuanSyntaxError("leading white-space");
  let argStart = verbEnd;
  while (isBlank(text[argStart])) argStart++;
  return {
    kind: "command",
    verb: decoder.decode(text.subarray(0, verbEnd)),
    args: decoder.decode(text.subarray(argStart)),
  };
}

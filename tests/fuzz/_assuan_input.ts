/**
 * Malformed Assuan input for the command-server fuzzer: command lines (known verbs with
 * garbage arguments, unknown verbs, binary, NUL bytes, bad percent escapes, bad hex, lines
 * around and over the 1000-byte limit) with CR/LF variants, and the server-side rules that
 * say how many replies such input must get (gpg/libassuan framing as src/assuan implements
 * it: a line is at most 1001 bytes before its LF, one CR before the LF is dropped, empty and
 * `#` lines get no reply, a longer line gets one ERR).
 * @module
 */

import type { Prng } from "./prng.ts";

const encoder = new TextEncoder();

/** The largest line (LF excluded) the server accepts. */
export const MAX_LINE = 1001;

/** Every verb scd-ts knows (the command table and libassuan's standard commands). */
export const VERBS = [
  "SERIALNO",
  "LEARN",
  "READCERT",
  "READKEY",
  "SETDATA",
  "PKSIGN",
  "PKAUTH",
  "PKDECRYPT",
  "INPUT",
  "OUTPUT",
  "GETATTR",
  "SETATTR",
  "WRITECERT",
  "WRITEKEY",
  "GENKEY",
  "RANDOM",
  "PASSWD",
  "CHECKPIN",
  "LOCK",
  "UNLOCK",
  "GETINFO",
  "RESTART",
  "DISCONNECT",
  "APDU",
  "KILLSCD",
  "KEYINFO",
  "NOP",
  "CANCEL",
  "OPTION",
  "BYE",
  "AUTH",
  "RESET",
  "END",
  "HELP",
  "CAN",
] as const;

/** Verbs that end the session or may INQUIRE: not sent in pipelined bursts. */
export const STATEFUL_VERBS = new Set([
  "BYE",
  "KILLSCD",
  "PKSIGN",
  "PKAUTH",
  "PKDECRYPT",
  "WRITEKEY",
  "WRITECERT",
  "GENKEY",
  "PASSWD",
  "CHECKPIN",
  "SETATTR",
  "LEARN",
]);

/** Arguments a real client might send; mixed with garbage below. */
const GOOD_ARGS = [
  "OPENPGP.1",
  "OPENPGP.2",
  "OPENPGP.3",
  "--force",
  "--append",
  "--hash=sha256",
  "--hash=none",
  "--info",
  "--demand=D276000124010304FFFE000000010000",
  "--list",
  "--data",
  "--keypairinfo",
  "--multi",
  "version",
  "pid",
  "status",
  "reader_list",
  "card_list",
  "cmd_has_option SERIALNO --all",
  "SERIALNO",
  "KEY-FPR",
  "DISP-NAME",
  "CHV-STATUS",
  "KEY-ATTR",
  "EXTCAP",
  "event-signal=12",
  "--algo=rsa2048",
  "--timestamp=20240101T000000",
  "00A4040006D27600012401",
  "--dump-atr",
  "--wait",
  "--keep-lock",
  "20",
  "0",
  "-1",
  "4294967296",
  "FD=3",
  "FD",
];

/** Pieces that break parsers: bad escapes, bad hex, odd whitespace, quoting, non-ASCII. */
const GARBAGE = [
  "%",
  "%G",
  "%0",
  "%zz",
  "%%",
  "%00",
  "%0A",
  "%0D%0A",
  "+",
  "++%2B",
  "\t",
  "  ",
  "\x00",
  "\x7f",
  "\xff",
  "é",
  "\u{1f600}",
  "--",
  "---",
  "--=",
  "--hash=",
  "--hash=sha256=sha1",
  "=",
  '"',
  "\\",
  "0x",
  "GG",
  "ABC",
  "0123456789abcdefX",
  "-0",
  "1e9",
  "NaN",
  "OPENPGP.",
  "OPENPGP.0",
  "OPENPGP.4",
  "OPENPGP.99999999999",
  "D276",
  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
];

/** How a line ends on the wire (no terminator merges it with the next line). */
const TERMINATORS = ["\n", "\n", "\n", "\r\n", "\r\r\n", "\n\r", "\r", "", " \n", "\t\n"];

function join(parts: (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((p) => typeof p === "string" ? latin1(p) : p);
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of bytes) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

/** Strings below 0x100 as single bytes (so "\xff" is one byte), the rest as UTF-8. */
function latin1(s: string): Uint8Array {
  if ([...s].every((c) => c.charCodeAt(0) < 0x100)) {
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  }
  return encoder.encode(s);
}

function verbVariant(prng: Prng): string {
  const verb: string = prng.pick(VERBS);
  if (prng.chance(0.15)) return verb.toLowerCase();
  if (prng.chance(0.05)) return verb.slice(0, prng.int(verb.length));
  if (prng.chance(0.05)) return verb + prng.text(prng.range(1, 3));
  return verb;
}

function argument(prng: Prng): string | Uint8Array {
  const r = prng.int(10);
  if (r < 4) return prng.pick(GOOD_ARGS);
  if (r < 7) return prng.pick(GARBAGE);
  if (r < 8) return prng.bytes(prng.range(1, 8));
  if (r < 9) return hexish(prng);
  return prng.text(prng.range(1, 40));
}

/** Hex digits, sometimes odd in number or with a bad digit. */
function hexish(prng: Prng): string {
  let s = "";
  const n = prng.range(1, 80);
  for (let i = 0; i < n; i++) s += "0123456789ABCDEFabcdef"[prng.int(22)];
  if (prng.chance(0.3)) s += prng.pick(["G", "%", " ", "\x00", "z"]);
  return s;
}

/** A known verb followed by a few arguments, good and bad. */
export function commandLine(prng: Prng): Uint8Array {
  const parts: (string | Uint8Array)[] = [verbVariant(prng)];
  const n = prng.int(5);
  for (let i = 0; i < n; i++) parts.push(prng.pick([" ", " ", "\t", "  "]), argument(prng));
  return join(parts);
}

/** One malformed line body (no terminator). */
export function malformedLine(prng: Prng): Uint8Array {
  const r = prng.int(20);
  if (r < 10) return commandLine(prng);
  if (r < 12) return prng.bytes(prng.range(0, 60)); // binary garbage
  if (r < 13) return join([prng.text(prng.range(1, 12)), " ", prng.text(prng.range(0, 30))]);
  if (r < 14) {
    return join([prng.pick([" ", "\t", "\x00", "#", "D", "D ", "d "]), commandLine(prng)]);
  }
  if (r < 15) return join(["D ", prng.pick(GARBAGE), hexish(prng)]); // data outside an inquiry
  return longLine(prng);
}

/** A line near or far over the limit (sometimes exactly at it). */
export function longLine(prng: Prng): Uint8Array {
  const length = prng.pick([MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, MAX_LINE + 2]) +
    (prng.chance(0.5) ? prng.int(4000) : 0);
  const head = prng.pick(["SETDATA ", "GETINFO ", "PKSIGN ", "NOP ", "XYZZY ", "D ", "# "]);
  const fill = prng.pick(["A", "0", "%", "%41", " ", "\x00"]);
  const body = head + fill.repeat(Math.ceil(length / fill.length));
  return latin1(body.slice(0, length));
}

/** A terminator, mostly LF. */
export function terminator(prng: Prng): string {
  return prng.pick(TERMINATORS);
}

/** `lines` with their terminators as one byte string, ending in LF. */
export function wire(prng: Prng, lines: Uint8Array[]): Uint8Array {
  const parts: (string | Uint8Array)[] = [];
  for (const line of lines) parts.push(line, terminator(prng));
  parts.push("\n");
  return join(parts);
}

/** Split wire bytes into lines as the server reads them (LF removed; a tail without LF kept). */
export function splitWire(bytes: Uint8Array): { lines: Uint8Array[]; tail: Uint8Array } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let lf = bytes.indexOf(0x0a); lf >= 0; lf = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, lf));
    start = lf + 1;
  }
  return { lines, tail: bytes.subarray(start) };
}

/** Whether the server answers `line` (LF removed) with an OK/ERR. */
export function expectsReply(line: Uint8Array): boolean {
  if (line.length > MAX_LINE) return true; // one ERR for the over-long line
  const end = line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return end > 0 && line[0] !== 0x23;
}

/** The verb the server dispatches on (up to NUL, blank), upper-cased. */
export function verbOf(line: Uint8Array): string {
  let end = 0;
  while (end < line.length && line[end] !== 0 && line[end] !== 0x20 && line[end] !== 0x09) end++;
  return String.fromCharCode(...line.subarray(0, Math.min(end, 40))).toUpperCase();
}

/** Bytes of text (latin-1 for single-byte characters). */
export function bytesOf(...parts: (string | Uint8Array)[]): Uint8Array {
  return join(parts);
}

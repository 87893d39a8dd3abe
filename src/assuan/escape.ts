/**
 * The two Assuan escapings, kept apart on purpose (style.md §1.1 item 9):
 *
 * - D lines (gpg/libassuan:src/assuan-buffer.c `_assuan_cookie_write_data`): only `%`, CR and
 *   LF are escaped, as uppercase `%XX`; every other byte, NUL included, travels raw. The
 *   receiver decodes any `%XX`.
 * - Status lines as scdaemon builds them (gpg/gnupg:scd/command.c `send_status_info`): `+`,
 *   `"`, `%` and bytes below 0x20 become `%XX`, a space becomes `+`, arguments are joined by
 *   one space, empty arguments are skipped, and the text is capped near 950 bytes. Clients
 *   decode with `percent_plus_unescape` (gpg/gnupg:common/percent.c).
 *
 * All functions work on bytes: card data need not be UTF-8.
 * @module
 */

const HEX = "0123456789ABCDEF";
const PERCENT = 0x25;
const PLUS = 0x2b;
const SPACE = 0x20;
const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** `send_status_info` works in a 950-byte buffer and stops adding once 948 are used. */
const STATUS_TEXT_LIMIT = 950 - 2;

const encoder = new TextEncoder();

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

function pushEscape(out: number[], byte: number): void {
  out.push(PERCENT, HEX.charCodeAt(byte >> 4), HEX.charCodeAt(byte & 15));
}

/** Escape a D-line payload: `%` → `%25`, CR → `%0D`, LF → `%0A`; all else raw. */
export function escapeData(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === PERCENT || b === CR || b === LF) pushEscape(out, b);
    else out.push(b);
  }
  return Uint8Array.from(out);
}

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function unescape(text: Uint8Array, plus: boolean): Uint8Array {
  const out = new Uint8Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === PERCENT) {
      const hi = hexValue(text[i + 1]);
      const lo = hexValue(text[i + 2]);
      // libassuan and gnupg decode `%` + any two bytes without checking them (and libassuan
      // loops forever on a `%` near the end); we decode only real hex and keep the rest raw.
      if (hi >= 0 && lo >= 0) {
        out[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[n++] = plus && b === PLUS ? SPACE : b;
  }
  return out.slice(0, n);
}

/** Decode a D-line payload: every `%XX` (either case) becomes its byte; `+` stays `+`. */
export function unescapeData(payload: Uint8Array): Uint8Array {
  return unescape(payload, false);
}

/**
 * Build status-line arguments exactly like scdaemon's `send_status_info`: each argument is
 * escaped (`+ " %` and bytes < 0x20 as `%XX`, SP as `+`), non-empty arguments are joined by
 * a single space, and output stops once about 948 bytes are written.
 */
export function escapeStatus(args: readonly (string | Uint8Array)[]): Uint8Array {
  const out: number[] = [];
  for (const arg of args) {
    if (out.length >= STATUS_TEXT_LIMIT) break;
    const value = toBytes(arg);
    if (value.length === 0) continue;
    if (out.length > 0) out.push(SPACE);
    for (const b of value) {
      if (out.length >= STATUS_TEXT_LIMIT) break;
      if (b === PLUS || b === QUOTE || b === PERCENT || b < SPACE) pushEscape(out, b);
      else if (b === SPACE) out.push(PLUS);
      else out.push(b);
    }
  }
  return Uint8Array.from(out);
}

/** Decode status or command text like gnupg's `percent_plus_unescape`: `+` → SP, `%XX` → byte. */
export function percentPlusUnescape(text: string | Uint8Array): Uint8Array {
  return unescape(toBytes(text), true);
}

/**
 * Normalizer of captured Assuan traffic (docs/conformance.md): turns stock scdaemon's log
 * records and scd-ts's trace tee into the same line form, and blanks what legitimately differs
 * between two runs: log headers and channel prefixes, confidential lines, random bytes (key
 * material, signatures, ciphertexts, hashes), timestamps, home paths and OK comment text.
 *
 * Input lines are binary strings (one char per byte, as _capture.ts reads the files).
 *
 * @module
 */

/** A normalized line: `<- ` (from gpg-agent) or `-> ` (from the daemon) and the text. */
export type NormalLine = string;

/** stock: `2026-12-01 23:12:14 scdaemon[9979] DBG: chan_7 -> OK`. */
const STOCK_HEADER = /^.*? DBG: chan_\d+ (<-|->) (.*)$/;
/** scd-ts: `<session> -> OK` (tests: also without the session number). */
const TRACE_HEADER = /^(?:\d+ )?(<-|->) (.*)$/;
/**
 * libassuan's rendering of a D line when not logging in full: the first 16 bytes in hex, then
 * how many were left out (libassuan src/assuan-logging.c, `_assuan_log_control_channel`).
 */
const STOCK_DUMP = /^\[ ((?:[0-9a-f]{2} ?)+)(?:\.\.\.\((\d+) byte\(s\) skipped\) )?\]$/;
const STOCK_CONFIDENTIAL = "[[Confidential data not shown]]";
const TRACE_REDACTED = /^\[redacted \d+ bytes\]$/;
/** The daemon's greeting on a new connection. */
const GREETING = /^OK GNU Privacy Guard's Smartcard server ready/;

/** Strips the header of one raw line; undefined for lines that are not Assuan traffic. */
export function splitRaw(raw: string): { dir: "<-" | "->"; text: string } | undefined {
  const m = STOCK_HEADER.exec(raw) ?? TRACE_HEADER.exec(raw);
  if (m === null) return undefined;
  let text = m[2]!;
  const dump = STOCK_DUMP.exec(text);
  if (dump !== null) {
    text = dump[1]!.trim().split(" ").map((h) => String.fromCharCode(parseInt(h, 16))).join("");
  }
  return { dir: m[1] as "<-" | "->", text };
}

/** True when the line has bytes a text line would not (controls, 8-bit). */
function binary(text: string): boolean {
  // deno-lint-ignore no-control-regex
  return /[\x00-\x08\x0b-\x1f\x7f-\uffff]/.test(text);
}

/**
 * A data line: binary payloads and S-expressions (signatures, ciphertexts, public keys: random
 * here, and stock logs only their first 16 bytes) keep a short recognisable head: the
 * S-expression's first atom (e.g. `(10:public-key`); a signature's first bytes are random,
 * even when they happen to be printable.
 */
function normalizeData(text: string): string {
  const payload = text.slice(2);
  // `(10:public-key`, `(7:enc-val`: a canonical S-expression's first atom
  const sexp = /^\(\d+:[a-z][a-z-]*/.exec(payload.slice(0, 14));
  if (sexp !== null) return `D ${sexp[0]}<binary>`;
  return binary(payload) ? "D <binary>" : normalizeText(text);
}

/** Random or run-specific values inside a text line. */
function normalizeText(text: string): string {
  return text
    // home directories of the throwaway GNUPGHOMEs
    .replace(/\/tmp\/scd-ts-e2e\/[^\s/]+/g, "<HOME>")
    // the vpcd slot the run got (stock and scd-ts runs may get different ones)
    .replace(/Virtual PCD 00 0\d/g, "Virtual PCD 00 0<N>")
    // key material, fingerprints, keygrips, hashes: 40 hex digits or more (the AID is 32)
    .replace(/\b[0-9A-Fa-f]{40,}\b/g, "<HEX>")
    // GENKEY --timestamp=20261201T231527 and ISO forms
    .replace(/\b\d{8}T\d{6}\b/g, "<TIME>")
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\b/g, "<TIME>")
    // KEY-CREATED-AT / KEY-TIME seconds since the epoch (2001..2286)
    .replace(/\b1\d{9}\b/g, "<TIME>");
}

/** Normalizes one line of known direction. */
export function normalizeLine(dir: "<-" | "->", text: string): NormalLine {
  // scd-ts's redacted output is PKDECRYPT's plaintext (or an APDU's / GETATTR PRIVATE-DO-3's
  // secret, which no workflow reads); stock logs that D line as a hex dump of random bytes
  if (dir === "->" && TRACE_REDACTED.test(text)) return "-> D <binary>";
  // scd-ts's command line with its secret tail redacted (a raw VERIFY's PIN, a key): stock
  // logs the whole line, whose long hex run normalizes to <HEX>
  const secretTail = /^(APDU|\S+ \S+) .*\[redacted \d+ bytes\]$/.exec(text);
  if (dir === "<-" && secretTail !== null) return `<- ${secretTail[1]} <HEX>`;
  if (text === STOCK_CONFIDENTIAL || TRACE_REDACTED.test(text)) return `${dir} <confidential>`;
  // inquiries whose answer is secret (PIN, private key): stock hides the INQUIRE line itself
  if (dir === "->" && /^INQUIRE (NEEDPIN|KEYDATA)\b/.test(text)) return "-> <confidential>";
  if (/^OK( |$)/.test(text)) return `${dir} OK`;
  const err = /^ERR (\d+)/.exec(text);
  if (err !== null) return `${dir} ERR ${err[1]}`;
  if (text.startsWith("D ")) return `${dir} ${normalizeData(text)}`;
  // binary attribute values (KDF-DO: random salts and hashes): keyword only
  const attr = /^((?:S|SETATTR) \S+) /.exec(text);
  if (attr !== null && binary(text)) return `${dir} ${attr[1]} <binary>`;
  return `${dir} ${normalizeText(text)}`;
}

/**
 * Normalizes a captured trace. A PIN inquiry is one `<confidential>` exchange whatever its
 * shape: stock hides the INQUIRE line and the agent's D and END lines, scd-ts shows the
 * INQUIRE and END and redacts the D line. Consecutive D lines are one payload (a line break
 * inside random data is random too).
 */
export function normalizeTrace(raw: string[]): NormalLine[] {
  const out: NormalLine[] = [];
  let inConfidential = false;
  // a connection's greeting that ends the step is the closing sync's (stock opens a new
  // connection for it after a RESTART, scd-ts's agent reuses its pipe): the agent's timing
  const last = raw.findLastIndex((r) => splitRaw(r) !== undefined);
  for (const [i, r] of raw.entries()) {
    const split = splitRaw(r);
    if (split === undefined) continue;
    if (i === last && split.dir === "->" && GREETING.test(split.text)) continue;
    // a connection's end (BYE, "OK closing connection") comes whenever the agent lets it go,
    // before or after the step's closing sync: teardown, never the daemon's answer to the step
    if (split.text === "BYE" || /^OK closing connection/.test(split.text)) continue;
    let line = normalizeLine(split.dir, split.text);
    if (line === "-> <confidential>") inConfidential = true;
    else if (split.dir === "->") inConfidential = false;
    if (inConfidential && split.dir === "<-") line = "<- <confidential>";
    const prev = out[out.length - 1];
    // collapse repeats: a confidential exchange, a D payload split over lines
    if (prev === line && line.endsWith("<confidential>")) continue;
    if (prev?.startsWith(`${split.dir} D `) && line.startsWith(`${split.dir} D `)) continue;
    out.push(line);
  }
  // gpg-agent sends RESTART when the client before the step (the capture's sync) has gone;
  // whether it, or only its OK, lands before or after the step's first byte is a race, not
  // the daemon's doing. Replies before the step's first command belong to the one before.
  while (out[0] === "<- RESTART" || out[0]?.startsWith("-> ")) out.shift();
  // the same race at the end: the agent resets the step's client (RESTART, agent/call-scd.c
  // agent_reset_scd) when it notices that client has gone, before or after the closing sync,
  // whose session's lines the capture leaves out. A RESTART the daemon refused stays.
  while (out.at(-2) === "<- RESTART" && out.at(-1) === "-> OK") out.splice(-2);
  return out;
}

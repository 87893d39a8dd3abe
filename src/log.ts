/**
 * Logging setup (LogTape). Every layer logs under `["scd-ts", <layer>]` (e.g. `assuan`,
 * `pcsc`, `apdu`, `scd`) with `getLogger` from `@logtape/logtape`; only `main.ts` calls
 * {@linkcode setupLogging}. Lines go to a file (`--log-file`, else `SCD_TS_LOG`) or to stderr —
 * never to stdout, which carries the Assuan pipe. The file is opened as a private file
 * (util/private_file.ts: no symlink, ours, 0600); one that cannot be opened so sends the lines
 * to stderr with a warning, because a daemon that does not start for want of a log is worse.
 *
 * Secrets: binary values must be passed as top-level properties. The sink renders a property
 * named `apdu` with {@linkcode redactApdu} (VERIFY, CHANGE REFERENCE DATA, RESET RETRY
 * COUNTER, key-import and secret-key PUT DATA bodies are replaced by their length — by INS,
 * not by luck; style.md §3.11), `response` with {@linkcode redactResponse} (the answers of
 * PSO:DECIPHER and of GET DATA 0103/0104 hidden; `answers`, when given, names the command a
 * GET RESPONSE continues), and any other byte array only as `[N bytes]`.
 * @module
 */

import {
  configure,
  dispose,
  getLogger,
  getStreamSink,
  getTextFormatter,
  isLogLevel,
  type Logger,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { toHex } from "./util/bytes.ts";
import { openPrivateAppend } from "./util/private_file.ts";

/** The root category of every scd-ts logger. */
export const LOG_ROOT = "scd-ts";

/** The logger of one layer, e.g. `getLog("pcsc")` → category `["scd-ts", "pcsc"]`. */
export function getLog(layer: string): Logger {
  return getLogger([LOG_ROOT, layer]);
}

/** Options for {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** Log file (appended, kept 0600); default `SCD_TS_LOG`, else stderr. */
  logFile?: string | undefined;
  /** Where lines go without a usable log file (tests); default stderr. */
  stderr?: WritableStream<Uint8Array> | undefined;
  /** Lowest level logged; default `SCD_TS_LOG_LEVEL`, else `"info"`. */
  level?: LogLevel | undefined;
  /** Environment lookup (tests); default `Deno.env.get`, tolerating a missing permission. */
  env?: ((name: string) => string | undefined) | undefined;
}

function denoEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** Configure LogTape for the process; dispose the result to flush and close the sink. */
export async function setupLogging(options: LoggingOptions = {}): Promise<AsyncDisposable> {
  const env = options.env ?? denoEnv;
  const path = options.logFile ?? env("SCD_TS_LOG");
  const fromEnv = env("SCD_TS_LOG_LEVEL");
  const level = options.level ?? (fromEnv && isLogLevel(fromEnv) ? fromEnv : "info");
  let file: Deno.FsFile | undefined;
  let refused: string | undefined;
  if (path) {
    try {
      file = await openPrivateAppend(path);
    } catch (e) {
      refused = (e as Error).message;
    }
  }
  const stream = file?.writable ?? options.stderr ?? Deno.stderr.writable;
  const formatter = getTextFormatter({ timestamp: "date-time-tz", value: "bare" });
  const sink = redactingSink(getStreamSink(stream, { formatter, closeStream: file !== undefined }));
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      { category: [LOG_ROOT], lowestLevel: level, sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
  if (refused !== undefined) {
    getLog("log").warning("Cannot log to {file}: {reason}; logging to stderr", {
      file: path,
      reason: refused,
    });
  }
  return { [Symbol.asyncDispose]: () => dispose() };
}

/** INS codes whose command data is a secret (ISO 7816-4; OpenPGP card 3.4 §7.2). */
const SECRET_INS = new Set([
  0x20, // VERIFY: PIN
  0x24, // CHANGE REFERENCE DATA: old ‖ new PIN
  0x2c, // RESET RETRY COUNTER: reset code ‖ new PIN
  0xdb, // PUT DATA (odd): private key import (3FFF extended header list)
]);
/**
 * PUT DATA (DA) tags holding secrets: D1/D2 SM keys, D3 reset code, D5 AES key, and the
 * private use DOs 0103/0104, which only PW1 (82) and PW3 may read (OpenPGP card 3.4 §4.4.1).
 */
const SECRET_PUT_DATA = new Set([0x00d1, 0x00d2, 0x00d3, 0x00d5, 0x0103, 0x0104]);
/** GET DATA (CA) tags whose value is secret: the PIN-protected private use DOs. */
const SECRET_GET_DATA = new Set([0x0103, 0x0104]);

function tagOf(apdu: Uint8Array): number {
  return ((apdu[2] ?? 0) << 8) | (apdu[3] ?? 0);
}

/** Split a command APDU into header+Lc and body (short or extended length). */
function splitApdu(apdu: Uint8Array): { head: Uint8Array; body: Uint8Array; rest: Uint8Array } {
  const empty = new Uint8Array(0);
  if (apdu.length <= 5) return { head: apdu, body: empty, rest: empty };
  let lcLen = 1;
  let lc = apdu[4]!;
  if (lc === 0 && apdu.length >= 7) {
    lcLen = 3;
    lc = (apdu[5]! << 8) | apdu[6]!;
  }
  const start = 4 + lcLen;
  return {
    head: apdu.subarray(0, start),
    body: apdu.subarray(start, start + lc),
    rest: apdu.subarray(start + lc),
  };
}

/** Whether a command APDU's data is a secret (a PIN, a key, a private DO), by INS and tag. */
export function isSecretCommand(apdu: Uint8Array): boolean {
  const ins = apdu[1];
  if (ins === undefined) return false;
  if (SECRET_INS.has(ins)) return true;
  return ins === 0xda && apdu.length >= 4 && SECRET_PUT_DATA.has(tagOf(apdu));
}

/**
 * Whether the answer to a command APDU is a secret: PSO:DECIPHER (a session key or shared
 * point) and GET DATA of 0103/0104. Only the header (CLA INS P1 P2) is looked at.
 */
export function isSecretResponse(command: Uint8Array | undefined): boolean {
  if (command === undefined || command.length < 4) return false;
  if (command[1] === 0x2a) return command[2] === 0x80 && command[3] === 0x86;
  return command[1] === 0xca && SECRET_GET_DATA.has(tagOf(command));
}

/** Hex of a command APDU with the body of secret-bearing commands replaced by its length. */
export function redactApdu(apdu: Uint8Array): string {
  if (!isSecretCommand(apdu)) return toHex(apdu);
  const { head, body, rest } = splitApdu(apdu);
  if (body.length === 0) return toHex(apdu);
  return `${toHex(head)} [redacted ${body.length} bytes]${rest.length ? " " + toHex(rest) : ""}`;
}

/**
 * Hex of a response APDU to `command` (for a GET RESPONSE: the command whose answer it
 * continues); the data of a secret answer ({@linkcode isSecretResponse}) is hidden.
 */
export function redactResponse(command: Uint8Array | undefined, response: Uint8Array): string {
  if (!isSecretResponse(command) || response.length <= 2) return toHex(response);
  return `[redacted ${response.length - 2} bytes] ${toHex(response.subarray(response.length - 2))}`;
}

function renderProperties(props: Record<string, unknown>): Map<unknown, string> {
  const out = new Map<unknown, string>();
  const apdu = props.apdu instanceof Uint8Array ? props.apdu : undefined;
  const answers = props.answers instanceof Uint8Array ? props.answers : apdu;
  for (const [key, value] of Object.entries(props)) {
    if (!(value instanceof Uint8Array)) continue;
    if (key === "apdu" || key === "answers") out.set(value, redactApdu(value));
    else if (key === "response") out.set(value, redactResponse(answers, value));
    else out.set(value, `[${value.length} bytes]`);
  }
  return out;
}

/** Apply the byte-array rules above to a record (message values and properties). */
export function redactRecord(record: LogRecord): LogRecord {
  const rendered = renderProperties(record.properties);
  const show = (v: unknown) =>
    v instanceof Uint8Array ? (rendered.get(v) ?? `[${v.length} bytes]`) : v;
  return {
    ...record,
    message: record.message.map(show),
    properties: Object.fromEntries(Object.entries(record.properties).map(([k, v]) => [k, show(v)])),
  };
}

/** Wrap a sink so that every record passes {@linkcode redactRecord} first. */
export function redactingSink<S extends Sink>(inner: S): Sink & Partial<AsyncDisposable> {
  const sink: Sink & Partial<AsyncDisposable> = (record) => inner(redactRecord(record));
  const disposable = inner as Partial<AsyncDisposable>;
  if (disposable[Symbol.asyncDispose]) {
    sink[Symbol.asyncDispose] = () => disposable[Symbol.asyncDispose]!();
  }
  return sink;
}

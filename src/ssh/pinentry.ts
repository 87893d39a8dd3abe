/**
 * Asking a person for the PIN without gpg-agent: a pinentry program spoken to over Assuan
 * as gpg-agent does (gpg/gnupg:agent/call-pinentry.c: SETDESC, SETPROMPT, GETPIN, BYE; the
 * PIN comes back in a D line). The program is the `pinentry-program` of
 * `$GNUPGHOME/gpg-agent.conf`, else `pinentry` on PATH. One child per prompt, ended by its
 * PID after the answer or a timeout. No card transaction is open while it asks: the
 * application asks for the PIN between transactions (docs/pin-policy.md).
 * @module
 */

import type { PinProvider, PinRequest } from "../app/mod.ts";
import { concat, utf8, wipe } from "../util/bytes.ts";

/** No pinentry could be run, or it failed; the signature fails with this message. */
export class PinentryError extends Error {
  override name = "PinentryError";
}

/** `pinentry-program` of `<homedir>/gpg-agent.conf`, else the first `pinentry` on PATH. */
export async function findPinentry(
  homedir: string,
  env: (name: string) => string | undefined,
): Promise<string | undefined> {
  try {
    const text = await Deno.readTextFile(`${homedir}/gpg-agent.conf`);
    for (const line of text.split("\n")) {
      const m = /^\s*pinentry-program\s+(.+?)\s*$/.exec(line);
      if (m) return m[1];
    }
  } catch {
    // no gpg-agent.conf: look on PATH
  }
  return await findOnPath("pinentry", env);
}

/** The first executable `name` in `$PATH`, if any. */
export async function findOnPath(
  name: string,
  env: (name: string) => string | undefined,
): Promise<string | undefined> {
  for (const dir of (env("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    try {
      const info = await Deno.stat(`${dir}/${name}`);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Assuan's escaping of a command argument: `%`, CR, LF and other control bytes as %XX. */
function escapeArg(text: string): string {
  // the card application's prompt is already escaped (%0A); only raw control bytes remain
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** The NEEDPIN prompt without its `|FLAGS|` block, as gpg-agent shows it. */
export function promptText(request: PinRequest): string {
  return request.prompt.replace(/^\|[^|]*\|/, "");
}

/** Options of {@linkcode pinentryProvider}. */
export interface PinentryOptions {
  /** Give up (and end the child) after this long; default 60 s. */
  timeoutMs?: number;
  /** Text before the card's own prompt, e.g. "ssh: " */
  title?: string;
}

/** A {@linkcode PinProvider} that runs `program` for each request. */
export function pinentryProvider(program: string, options: PinentryOptions = {}): PinProvider {
  return { get: (request) => askPinentry(program, request, options) };
}

/** Run one pinentry dialog; resolves to the PIN bytes (the caller wipes them). */
async function askPinentry(
  program: string,
  request: PinRequest,
  options: PinentryOptions,
): Promise<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, { stdin: "piped", stdout: "piped", stderr: "null" })
      .spawn();
  } catch (e) {
    throw new PinentryError(`Cannot run pinentry ${program}: ${(e as Error).message}`);
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 60_000);
  const writer = child.stdin.getWriter();
  const lines = readLines(child.stdout);
  try {
    await expectOk(lines, "greeting");
    const tty = Deno.env.get("GPG_TTY");
    const commands = [
      ...(tty ? [`OPTION ttyname=${escapeArg(tty)}`] : []),
      `SETTITLE ${escapeArg(options.title ?? "scd-ts ssh-agent")}`,
      `SETDESC ${escapeArg(promptText(request))}`,
      "SETPROMPT PIN", // as gpg-agent words it for a card PIN
    ];
    for (const command of commands) {
      await writer.write(utf8(command + "\n"));
      await expectOk(lines, command.split(" ")[0]!);
    }
    await writer.write(utf8("GETPIN\n"));
    const pin = await readPin(lines);
    await writer.write(utf8("BYE\n")).catch(() => {});
    return pin;
  } finally {
    clearTimeout(timer);
    await writer.close().catch(() => {});
    await lines.return(undefined).catch(() => {});
    try {
      child.kill("SIGTERM");
    } catch {
      // ended by itself after BYE
    }
    await child.status;
  }
}

async function expectOk(lines: AsyncGenerator<Uint8Array>, what: string): Promise<void> {
  for (;;) {
    const { value, done } = await lines.next();
    if (done) throw new PinentryError(`Cannot use pinentry: it ended at ${what}`);
    const text = new TextDecoder().decode(value);
    if (text.startsWith("OK")) return;
    if (text.startsWith("ERR")) throw new PinentryError(`Pinentry refused ${what}: ${text}`);
    // comments and status lines are skipped
  }
}

/** D lines until OK (the PIN), or ERR (cancelled). Percent escapes are undone in bytes. */
async function readPin(lines: AsyncGenerator<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  try {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new PinentryError("Cannot get PIN: pinentry ended");
      if (value[0] === 0x44 && value[1] === 0x20) parts.push(unescape(value.subarray(2)));
      else if (value[0] === 0x4f && value[1] === 0x4b) break;
      else if (value[0] === 0x45 && value[1] === 0x52) {
        throw new PinentryError(`PIN entry cancelled: ${new TextDecoder().decode(value)}`);
      }
    }
    return concat(...parts);
  } finally {
    for (const p of parts) wipe(p);
  }
}

function unescape(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length) {
      const v = parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16);
      if (!Number.isNaN(v)) {
        out[n++] = v;
        i += 2;
        continue;
      }
    }
    out[n++] = b;
  }
  const result = out.slice(0, n);
  out.fill(0);
  return result;
}

/** Lines of `stream` without their LF, as bytes (a PIN never becomes a string). */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = concat(buffer, chunk);
    wipe(buffer);
    buffer = joined;
    let at: number;
    while ((at = buffer.indexOf(0x0a)) >= 0) {
      const line = buffer.slice(0, at);
      const rest = buffer.slice(at + 1);
      wipe(buffer);
      buffer = rest;
      yield line;
      wipe(line);
    }
  }
  wipe(buffer);
}

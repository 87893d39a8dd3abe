/**
 * A scripted gpg-agent for in-process scd sessions: sends a command, answers its INQUIREs
 * the way gpg-agent does (NEEDPIN: PIN + NUL padding to 90 bytes; KEYDATA/CERTDATA/VALUE:
 * raw bytes as escaped D lines; POPUPPINPADPROMPT/DISMISSPINPADPROMPT: END) and collects
 * status lines, data and the final OK/ERR.
 * @module
 */

import { escapeData, unescapeData } from "../../src/assuan/mod.ts";
import { concat } from "../../src/util/bytes.ts";
import { TestClient } from "../support/assuan_client.ts";
import { ADMIN_PIN } from "../support/fixtures.ts";
import { HELLO, type ScdServer, type SessionOptions } from "../../src/scd/mod.ts";
import { ScdFixture, Session } from "./_scd_fixture.ts";
import type { VirtualCardOptions } from "../../src/virtual/mod.ts";

/** How to answer one inquiry keyword: bytes/strings in order of asking, or "cancel". */
export type Answer = string | Uint8Array | "cancel";

/** What a command produced. */
export interface Reply {
  /** The S lines, without "S ". */
  status: string[];
  /** Every INQUIRE line, without "INQUIRE ". */
  inquiries: string[];
  /** The D payloads, unescaped and joined. */
  data: Uint8Array;
  /** "OK…" or "ERR …". */
  end: string;
  /** The error code of an ERR line, else undefined. */
  err: number | undefined;
  /** Every line in order (D lines as "D <n bytes>"), for order checks. */
  lines: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A PIN reply as gpg-agent sends it: the PIN, then NUL padding to 90 bytes. */
export function pinReply(pin: string): Uint8Array {
  const out = new Uint8Array(90);
  out.set(encoder.encode(pin));
  return out;
}

async function sendData(session: Session, bytes: Uint8Array): Promise<void> {
  const escaped = escapeData(bytes);
  for (let i = 0; i < escaped.length;) {
    let end = Math.min(escaped.length, i + 900);
    // never split a %XX escape
    while (end < escaped.length && (escaped[end - 1] === 0x25 || escaped[end - 2] === 0x25)) end--;
    await session.client.sendRaw(
      concat(encoder.encode("D "), escaped.subarray(i, end), Uint8Array.of(0x0a)),
    );
    i = end;
  }
}

/**
 * Run `line` on `session`; `answers` maps an inquiry keyword to its answers (consumed in
 * order; NEEDPIN strings are padded like gpg-agent's). Unanswered inquiries are cancelled.
 */
export async function run(
  session: Session,
  line: string,
  answers: Record<string, Answer[]> = {},
): Promise<Reply> {
  const reply: Reply = {
    status: [],
    inquiries: [],
    data: new Uint8Array(0),
    end: "",
    err: undefined,
    lines: [],
  };
  const chunks: Uint8Array[] = [];
  const queues = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, [...v]]));
  await session.client.send(line);
  for (;;) {
    const bytes = await session.client.lineBytes();
    if (bytes[0] === 0x44 && bytes[1] === 0x20) {
      const payload = unescapeData(bytes.subarray(2));
      chunks.push(payload);
      reply.lines.push(`D <${payload.length} bytes>`);
      continue;
    }
    const text = decoder.decode(bytes);
    reply.lines.push(text);
    if (text.startsWith("S ")) reply.status.push(text.slice(2));
    else if (text.startsWith("INQUIRE ")) {
      const inquiry = text.slice(8);
      reply.inquiries.push(inquiry);
      const keyword = inquiry.split(" ", 1)[0]!;
      const answer = queues[keyword]?.shift() ??
        (keyword === "POPUPPINPADPROMPT" || keyword === "DISMISSPINPADPROMPT" ? "" : "cancel");
      if (answer === "cancel") {
        await session.client.send("CAN");
        continue;
      }
      const bytes = typeof answer === "string"
        ? keyword === "NEEDPIN" ? pinReply(answer) : encoder.encode(answer)
        : answer;
      if (bytes.length > 0) await sendData(session, bytes);
      await session.client.send("END");
    } else if (/^(OK|ERR)( |$)/.test(text)) {
      reply.end = text;
      reply.err = text.startsWith("ERR ") ? Number(text.split(" ")[1]) : undefined;
      reply.data = concat(...chunks);
      return reply;
    }
  }
}

/** The ERR number of gpg-error `code` with source SCD. */
export function scdErr(code: number): number {
  return (6 << 24) | code;
}

export { ADMIN_PIN, USER_PIN } from "../support/fixtures.ts";

/** GENKEY --force --algo=ALGO in slot `n` with the Admin PIN; returns the reply. */
export async function genkey(session: Session, n: 1 | 2 | 3, algo: string): Promise<Reply> {
  const r = await run(session, `GENKEY --force --timestamp=20240101T000000 --algo=${algo} ${n}`, {
    // stock asks again after --algo changed the slot's attributes
    NEEDPIN: [ADMIN_PIN, ADMIN_PIN],
  });
  if (r.err !== undefined) throw new Error(`Cannot generate ${algo} in ${n}: ${r.end}`);
  return r;
}

/** The keygrip of `OPENPGP.n` from KEYINFO --list. */
export async function keygripOf(session: Session, n: 1 | 2 | 3): Promise<string> {
  const r = await run(session, "KEYINFO --list");
  const line = r.status.find((s) => s.split(" ")[4] === `OPENPGP.${n}`);
  if (!line) throw new Error(`Cannot find OPENPGP.${n} in ${r.status.join("; ")}`);
  return line.split(" ")[1]!;
}

/** A fresh session on `f` that already did SERIALNO. */
export async function connect(f: Pick<ScdFixture, "connect">): Promise<Session> {
  const s = await f.connect();
  const r = await run(s, "SERIALNO");
  if (r.err !== undefined) throw new Error(`Cannot select the card: ${r.end}`);
  return s;
}

/**
 * Runs `fn` on a fresh fixture (a virtual card with `card`'s options) with one session that
 * did SERIALNO; closes both after.
 */
export async function withCard(
  fn: (s: Session, f: ScdFixture) => Promise<void>,
  card: VirtualCardOptions = {},
): Promise<void> {
  const f = await ScdFixture.open(card);
  const s = await connect(f);
  try {
    await fn(s, f);
  } finally {
    await s.close();
    await f.close();
  }
}

/** A session on any `server` (for daemons built differently from the fixture's). */
export async function serverSession(
  server: ScdServer,
  options: SessionOptions = {},
): Promise<Session> {
  const client = new TestClient();
  const end = server.serve(client.server, options);
  const hello = await client.line();
  if (hello !== `OK ${HELLO}`) throw new Error(`Cannot connect: greeting was ${hello}`);
  return new Session(client, end);
}

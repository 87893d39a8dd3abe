/**
 * A scripted gpg-agent for in-process scd sessions: sends one command, answers its INQUIREs the
 * way gpg-agent does (NEEDPIN: PIN + NUL padding to 90 bytes; KEYDATA/CERTDATA/VALUE: raw
 * bytes as escaped D lines; POPUPPINPADPROMPT/DISMISSPINPADPROMPT: END) and collects status
 * lines, data and the final OK/ERR. tests/integration and tests/pkcs11 wrap it for their
 * sessions.
 * @module
 */

import { escapeData, unescapeData } from "../../src/assuan/mod.ts";
import { concat } from "../../src/util/bytes.ts";
import type { TestClient } from "./assuan_client.ts";

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

/** `bytes` as D lines of at most ~900 escaped bytes, never splitting a %XX escape. */
async function sendData(client: TestClient, bytes: Uint8Array): Promise<void> {
  const escaped = escapeData(bytes);
  for (let i = 0; i < escaped.length;) {
    let end = Math.min(escaped.length, i + 900);
    while (end < escaped.length && (escaped[end - 1] === 0x25 || escaped[end - 2] === 0x25)) end--;
    await client.sendRaw(
      concat(encoder.encode("D "), escaped.subarray(i, end), Uint8Array.of(0x0a)),
    );
    i = end;
  }
}

/** The answer gpg-agent gives an inquiry nobody scripted: pin pad prompts END, others CAN. */
function unscripted(keyword: string): Answer {
  return keyword === "POPUPPINPADPROMPT" || keyword === "DISMISSPINPADPROMPT" ? "" : "cancel";
}

/**
 * Run `line` on `client`; `answers` maps an inquiry keyword to its answers (consumed in order;
 * NEEDPIN strings are padded like gpg-agent's). Unanswered inquiries are cancelled.
 */
export async function runScripted(
  client: TestClient,
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
  await client.send(line);
  for (;;) {
    const bytes = await client.lineBytes();
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
      const answer = queues[keyword]?.shift() ?? unscripted(keyword);
      if (answer === "cancel") {
        await client.send("CAN");
        continue;
      }
      const data = typeof answer === "string"
        ? keyword === "NEEDPIN" ? pinReply(answer) : encoder.encode(answer)
        : answer;
      if (data.length > 0) await sendData(client, data);
      await client.send("END");
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

/**
 * The fuzzers' Assuan client: raw bytes out, reply lines in, every read bounded by a
 * deadline so a hung daemon is reported instead of hanging the run. INQUIREs are answered by
 * the case's responder (bad PIN replies, CAN, EOF, …).
 * @module
 */

import type { TestClient } from "../support/assuan_client.ts";
import { within } from "./_daemon.ts";

/** What to do with one INQUIRE: bytes to send (lines with their LF), then maybe end the input. */
export interface InquiryAction {
  bytes?: Uint8Array;
  eof?: boolean;
}

/** Chooses the answer to the `n`-th INQUIRE (0-based) of a command. */
export type InquiryResponder = (inquiry: string, n: number) => InquiryAction;

/** How a reply ended. */
export type ReplyEnd =
  | { kind: "ok"; line: string }
  | { kind: "err"; line: string }
  | { kind: "closed" }
  | { kind: "timeout" };

/** One command's reply. */
export interface Reply {
  /** Lines before the OK/ERR (S, D, INQUIRE, #). */
  lines: string[];
  end: ReplyEnd;
}

const decoder = new TextDecoder();
const LF = Uint8Array.of(0x0a);

/** Answers every INQUIRE with CAN. */
export const cancelAll: InquiryResponder = () => ({ bytes: new TextEncoder().encode("CAN\n") });

/** A session whose reads give up at a deadline. */
export class FuzzClient {
  readonly #client: TestClient;
  readonly end: Promise<unknown>;
  #inputClosed = false;
  /** True once a read timed out or the output ended: the session is no longer usable. */
  dead = false;

  constructor(session: { client: TestClient; end: Promise<unknown> }) {
    this.#client = session.client;
    this.end = session.end;
  }

  get inputClosed(): boolean {
    return this.#inputClosed;
  }

  /** Send raw bytes (no LF added). */
  async send(bytes: Uint8Array): Promise<void> {
    if (this.#inputClosed) return;
    try {
      // A copy: the daemon's line reader wipes the chunks it took (they may hold PINs), and
      // the in-memory pipe hands it our very buffer.
      await this.#client.sendRaw(bytes.slice());
    } catch {
      this.dead = true; // the daemon closed the session
    }
  }

  /** Send one line with an LF. */
  async sendLine(text: string): Promise<void> {
    await this.send(new TextEncoder().encode(text + "\n"));
  }

  /** Close our output (the daemon sees EOF). */
  async closeInput(): Promise<void> {
    if (this.#inputClosed) return;
    this.#inputClosed = true;
    await this.#client.close().catch(() => {});
  }

  /** Read one reply up to OK/ERR, answering INQUIREs with `respond`, within `ms` in total. */
  async reply(respond: InquiryResponder, ms: number): Promise<Reply> {
    const deadline = Date.now() + ms;
    const lines: string[] = [];
    let inquiries = 0;
    for (;;) {
      const line = await within(this.#client.line(), Math.max(1, deadline - Date.now()));
      if (line === "timeout" || line === undefined) {
        this.dead = true;
        return { lines, end: line === "timeout" ? { kind: "timeout" } : { kind: "closed" } };
      }
      if (line === "OK" || line.startsWith("OK ")) {
        if (line === "OK closing connection") this.dead = true; // BYE, KILLSCD
        return { lines, end: { kind: "ok", line } };
      }
      if (line.startsWith("ERR ")) return { lines, end: { kind: "err", line } };
      lines.push(line);
      if (!line.startsWith("INQUIRE ")) continue;
      const action = respond(line.slice(8), inquiries++);
      if (action.bytes) await this.send(action.bytes);
      if (action.eof) await this.closeInput();
    }
  }

  /** Send `text` as a command line and read its reply. */
  async transact(text: string, ms: number, respond = cancelAll): Promise<Reply> {
    await this.sendLine(text);
    return await this.reply(respond, ms);
  }

  /**
   * Send `GETINFO version` and read replies until its own (`D <version>`, `OK`), passing
   * every earlier reply (left over from the case) to `check`. Returns false on a timeout or
   * when the session ended first (a left-over BYE).
   */
  async sync(version: string, ms: number, check: (reply: Reply) => void): Promise<boolean> {
    // Not awaited: an earlier write may still wait for the daemon, which waits for us to read.
    void this.sendLine("GETINFO version");
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.reply(cancelAll, Math.max(1, deadline - Date.now()));
      if (r.end.kind === "ok" && r.lines.at(-1) === `D ${version}`) return true;
      if (r.end.kind === "timeout" || r.end.kind === "closed") return false;
      check(r);
      if (this.dead) return false;
    }
  }

  /**
   * Close our output, read whatever the daemon still sends (a daemon blocked on a full pipe
   * would never end its session) and wait for the session to end, all within `ms`.
   */
  async ended(ms: number): Promise<boolean> {
    await this.closeInput();
    const deadline = Date.now() + ms;
    for (;;) {
      const line = await within(this.#client.line(), Math.max(1, deadline - Date.now()));
      if (line === "timeout") return false;
      if (line === undefined) break;
    }
    this.dead = true;
    return (await within(this.end.then(() => true), Math.max(1, deadline - Date.now()))) === true;
  }
}

/** Lines joined with LF, for a transcript. */
export function lineBytes(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  out.set(LF, body.length);
  return out;
}

/** Printable form of bytes for failure reports: ASCII as is, the rest as \xNN, capped. */
export function showBytes(bytes: Uint8Array, max = 400): string {
  let s = "";
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x0a) s += "\\n";
    else if (b === 0x0d) s += "\\r";
    else if (b === 0x5c) s += "\\\\";
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return bytes.length > max ? `${s}… (${bytes.length} bytes)` : s;
}

/** Decode server bytes for messages. */
export function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

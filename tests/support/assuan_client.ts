/**
 * A line-oriented Assuan client on an in-memory duplex, for unit and in-process integration
 * tests of command tables.
 * @module
 */

import type { Duplex } from "../../src/assuan/server.ts";
import { LineReader } from "../../src/assuan/line_reader.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fake Assuan client connected to `server` (give `server` to `AssuanServer.serve`). */
export class TestClient {
  /** The server's end of the duplex. */
  readonly server: Duplex;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: LineReader;

  constructor() {
    const toServer = new TransformStream<Uint8Array, Uint8Array>();
    // copies each chunk, as a socket does: the server may wipe what it wrote (secrets)
    const toClient = new TransformStream<Uint8Array, Uint8Array>({
      transform: (chunk, c) => c.enqueue(chunk.slice()),
    });
    this.server = { readable: toServer.readable, writable: toClient.writable };
    this.#writer = toServer.writable.getWriter();
    this.#reader = new LineReader(toClient.readable, { maxLineLength: 1 << 20 });
  }

  /** Send raw bytes (no LF added). */
  async sendRaw(bytes: string | Uint8Array): Promise<void> {
    await this.#writer.write(typeof bytes === "string" ? encoder.encode(bytes) : bytes);
  }

  /** Send one or more lines (LF added to each). */
  async send(...lines: string[]): Promise<void> {
    await this.sendRaw(lines.map((l) => l + "\n").join(""));
  }

  /** Next server line as text, or undefined at end of output. */
  async line(): Promise<string | undefined> {
    const r = await this.#reader.read();
    return r.kind === "line" ? decoder.decode(r.bytes) : undefined;
  }

  /** Next server line as bytes (throws at end of output). */
  async lineBytes(): Promise<Uint8Array> {
    const r = await this.#reader.read();
    if (r.kind !== "line") throw new Error(`Cannot read line: got ${r.kind}`);
    return r.bytes;
  }

  /** Lines up to and including the next OK/ERR/INQUIRE line. */
  async reply(): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === undefined) return out;
      out.push(l);
      if (/^(OK|ERR|INQUIRE)( |$)/.test(l)) return out;
    }
  }

  /** Send a command and collect its reply. */
  async transact(line: string): Promise<string[]> {
    await this.send(line);
    return await this.reply();
  }

  /** Close the client's output (the server sees EOF). */
  async close(): Promise<void> {
    await this.#writer.close();
  }

  /** Read the rest of the server's output until it closes. */
  async drain(): Promise<string[]> {
    const out: string[] = [];
    for (let l = await this.line(); l !== undefined; l = await this.line()) out.push(l);
    return out;
  }
}

/**
 * Small fixtures every kind of test uses: the factory PINs of the virtual card, a reader of
 * LF-terminated lines from a byte stream, and `exists`.
 * @module
 */

import { FACTORY_PINS } from "../../src/virtual/store.ts";

/** The virtual card's factory user PIN (PW1). */
export const USER_PIN: string = FACTORY_PINS.user;
/** The virtual card's factory admin PIN (PW3). */
export const ADMIN_PIN: string = FACTORY_PINS.admin;

/** Reads LF-terminated lines (LF removed) from a byte stream. */
export class Lines {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next line; undefined once the stream ended. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  /** Lines up to and including the one that ends an Assuan reply (OK, ERR or INQUIRE). */
  async reply(): Promise<string[]> {
    const out: string[] = [];
    for (let l = await this.next(); l !== undefined; l = await this.next()) {
      out.push(l);
      if (/^(OK|ERR|INQUIRE)( |$)/.test(l)) break;
    }
    return out;
  }

  /** Gives the stream back (its reader's lock released). */
  release(): void {
    this.#reader.releaseLock();
  }
}

/** Whether something exists at `path` (a link counts as what it points to). */
export async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** {@linkcode exists}, synchronously. */
export function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

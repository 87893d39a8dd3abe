/**
 * A PC/SC context (`SCardEstablishContext` … `SCardReleaseContext`). It owns the card handles
 * connected through it: releasing the context disconnects them first. Release is idempotent and
 * `[Symbol.asyncDispose]` never throws.
 *
 * pcsc-lite serializes the calls of one context, so a long `SCardGetStatusChange` must run on a
 * context of its own (the monitor's), never on one used for APDUs.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  allocReaderStates,
  allocWord,
  decodeMultiString,
  encodeCString,
  openPcsc,
  type PcscLibrary,
  readDword,
  readLong,
  readReaderState,
  SCARD_E_INSUFFICIENT_BUFFER,
  SCARD_E_NO_READERS_AVAILABLE,
  SCARD_E_TIMEOUT,
  SCARD_PROTOCOL_ANY,
  SCARD_S_SUCCESS,
  SCARD_SCOPE_SYSTEM,
  SCARD_SHARE_SHARED,
  toReturnCode,
  writeDword,
  writeReaderState,
} from "../../ffi/mod.ts";
import { PcscCard } from "./card.ts";
import { check, isRetryable, PcscError } from "./errors.ts";

const log = getLogger(["scd-ts", "pcsc"]);

/** Options shared by everything that opens a context. */
export interface PcscOptions {
  /** The pcsc-lite to use; default {@linkcode openPcsc} (loaded on first use). Tests inject fakes. */
  library?: PcscLibrary;
}

/** Options for {@linkcode PcscContext.connectShared}. */
export interface ConnectOptions {
  /** Preferred protocols, default `SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1`. */
  protocols?: number;
}

/** One reader in a {@linkcode PcscContext.getStatusChange} call. */
export interface ReaderStateQuery {
  /** Reader name (or `PNP_NOTIFICATION_READER`). */
  readonly reader: string;
  /** The state the caller last saw (`SCARD_STATE_UNAWARE` to get the current one at once). */
  readonly currentState: number;
}

/** One reader's answer from {@linkcode PcscContext.getStatusChange}. */
export interface ReaderStateResult {
  /** Reader name, as queried. */
  readonly reader: string;
  /** `dwEventState`: `SCARD_STATE_*` bits low, pcsc-lite's event counter in the high 16 bits. */
  readonly eventState: number;
  /** The ATR of a present card (empty otherwise). */
  readonly atr: Uint8Array;
}

/** An established PC/SC context. */
export class PcscContext implements AsyncDisposable {
  #lib: PcscLibrary;
  #handle: bigint | undefined;
  #cards = new Set<PcscCard>();
  /** Buffers only reachable through raw pointers in a pending call (style.md §1.7 item 8). */
  #pinned = new Set<unknown>();

  private constructor(lib: PcscLibrary, handle: bigint) {
    this.#lib = lib;
    this.#handle = handle;
  }

  /** `SCardEstablishContext(SCARD_SCOPE_SYSTEM)`; throws `PcscError` (e.g. pcscd not running). */
  static async establish(options: PcscOptions = {}): Promise<PcscContext> {
    const lib = options.library ?? openPcsc();
    const out = allocWord();
    check(
      "SCardEstablishContext",
      await lib.symbols.SCardEstablishContext(SCARD_SCOPE_SYSTEM, null, null, out),
    );
    return new PcscContext(lib, readLong(out));
  }

  /** False once released. */
  get established(): boolean {
    return this.#handle !== undefined;
  }

  /** How many card handles of this context are still connected. */
  get openCards(): number {
    return this.#cards.size;
  }

  #live(op: string): bigint {
    if (this.#handle === undefined) throw new Error(`Cannot ${op}: the PC/SC context is released`);
    return this.#handle;
  }

  /** `SCardIsValidContext`: false when released or when pcscd dropped it. */
  isValid(): boolean {
    if (this.#handle === undefined) return false;
    return toReturnCode(this.#lib.symbols.SCardIsValidContext(this.#handle)) === SCARD_S_SUCCESS;
  }

  /** `SCardListReaders`: reader names, `[]` when none is connected. */
  async listReaders(): Promise<string[]> {
    const handle = this.#live("list readers");
    const len = allocWord();
    for (let tries = 0; tries < 3; tries++) {
      let rv = toReturnCode(await this.#lib.symbols.SCardListReaders(handle, null, null, len));
      if (rv === SCARD_E_NO_READERS_AVAILABLE) return [];
      check("SCardListReaders", rv);
      const buf = new Uint8Array(Math.max(readDword(len), 1));
      writeDword(len, buf.length);
      rv = toReturnCode(await this.#lib.symbols.SCardListReaders(handle, null, buf, len));
      if (rv === SCARD_E_NO_READERS_AVAILABLE) return [];
      if (rv === SCARD_E_INSUFFICIENT_BUFFER) continue; // a reader appeared in between
      check("SCardListReaders", rv);
      return decodeMultiString(buf.subarray(0, Math.min(readDword(len), buf.length)));
    }
    throw new PcscError("SCardListReaders", SCARD_E_INSUFFICIENT_BUFFER);
  }

  /**
   * `SCardConnect(reader, SCARD_SHARE_SHARED, T0|T1)`. There is deliberately no way to ask
   * for exclusive mode (design decision 4).
   */
  async connectShared(reader: string, options: ConnectOptions = {}): Promise<PcscCard> {
    const ctx = this.#live("connect to card");
    const name = encodeCString(reader);
    const hCard = allocWord();
    const protocol = allocWord();
    check(
      "SCardConnect",
      await this.#lib.symbols.SCardConnect(
        ctx,
        name,
        SCARD_SHARE_SHARED,
        options.protocols ?? SCARD_PROTOCOL_ANY,
        hCard,
        protocol,
      ),
      `in "${reader}"`,
    );
    const card = new PcscCard({
      library: this.#lib,
      handle: readLong(hCard),
      reader,
      protocol: readDword(protocol),
      onClosed: (c) => this.#cards.delete(c),
    });
    this.#cards.add(card);
    if (this.#handle === undefined) {
      // released while connecting: do not leak the new handle
      await card.disconnect().catch(() => {});
      throw new Error(`Cannot connect to card in "${reader}": the PC/SC context was released`);
    }
    return card;
  }

  /**
   * `SCardGetStatusChange`. Resolves with each reader's new state, or `undefined` on timeout;
   * throws `PcscError` (`SCARD_E_CANCELLED` after {@linkcode cancel}). Needs `--allow-ffi` to
   * take the address of the reader names, which stay referenced until the call settles.
   */
  async getStatusChange(
    queries: readonly ReaderStateQuery[],
    timeoutMs: number,
  ): Promise<ReaderStateResult[] | undefined> {
    const ctx = this.#live("wait for reader events");
    // Keep every name buffer referenced until the nonblocking call settles: the structs hold
    // raw pointers to them, which Deno does not track (style.md §1.7 item 8).
    const names = queries.map((q) => encodeCString(q.reader));
    const states = allocReaderStates(queries.length);
    names.forEach((name, i) => {
      const pointer = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(name)));
      writeReaderState(states, i, {
        readerPointer: pointer,
        currentState: queries[i]!.currentState,
      });
    });
    this.#pinned.add(names);
    let raw: number | bigint;
    try {
      raw = await this.#lib.symbols.SCardGetStatusChange(
        ctx,
        timeoutMs >>> 0,
        states,
        queries.length,
      );
    } finally {
      this.#pinned.delete(names);
    }
    const rv = toReturnCode(raw);
    if (rv === SCARD_E_TIMEOUT) return undefined;
    check("SCardGetStatusChange", rv);
    return queries.map((q, i) => {
      const out = readReaderState(states, i);
      return { reader: q.reader, eventState: out.eventState, atr: out.atr };
    });
  }

  /** `SCardCancel`: makes a pending {@linkcode getStatusChange} fail with `SCARD_E_CANCELLED`. */
  cancel(): void {
    if (this.#handle === undefined) return;
    const rv = toReturnCode(this.#lib.symbols.SCardCancel(this.#handle));
    if (rv !== SCARD_S_SUCCESS) log.debug("SCardCancel returned {rv}", { rv });
  }

  /**
   * Disconnects every card of this context (`SCARD_LEAVE_CARD`), then `SCardReleaseContext`.
   * Idempotent. Card-gone and service-gone codes are ignored; other failures throw.
   */
  async release(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    for (const card of [...this.#cards]) await card[Symbol.asyncDispose]();
    try {
      check("SCardReleaseContext", await this.#lib.symbols.SCardReleaseContext(handle));
    } catch (e) {
      if (!isRetryable(e)) throw e;
    }
  }

  /** Releases; never throws (failures are logged). */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.release();
    } catch (e) {
      log.warn("Cannot release PC/SC context: {error}", { error: String(e) });
    }
  }
}

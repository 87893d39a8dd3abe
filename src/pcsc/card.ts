/**
 * A card handle connected in `SCARD_SHARE_SHARED` mode, and the PC/SC transaction that gives one
 * operation the card to itself. Other programs stay able to connect; while our transaction is
 * open, their APDUs wait.
 *
 * Closing is idempotent and `[Symbol.asyncDispose]` never throws (a failure to end or
 * disconnect is logged: the operation's own result or error is what matters to the caller).
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import {
  allocWord,
  decodeCString,
  encodeIoRequest,
  MAX_ATR_SIZE,
  MAX_BUFFER_SIZE_EXTENDED,
  type PcscLibrary,
  readDword,
  SCARD_E_INSUFFICIENT_BUFFER,
  SCARD_E_NOT_TRANSACTED,
  SCARD_LEAVE_CARD,
  SCARD_PROTOCOL_ANY,
  SCARD_RESET_CARD,
  SCARD_SHARE_SHARED,
  SCARD_UNPOWER_CARD,
  toReturnCode,
  writeDword,
} from "../../ffi/mod.ts";
import { wipe } from "../util/bytes.ts";
import type { CardChannel } from "./channel.ts";
import { check, findPcscError, isRetryable, PcscError } from "./errors.ts";

const log = getLogger(["scd-ts", "pcsc"]);

/** What to do with the card when a handle or transaction ends. Never "eject". */
export type Disposition = "leave" | "reset" | "unpower";

/** The pcsc-lite value of a {@linkcode Disposition}. */
export function dispositionValue(d: Disposition): number {
  return d === "leave" ? SCARD_LEAVE_CARD : d === "reset" ? SCARD_RESET_CARD : SCARD_UNPOWER_CARD;
}

/** The answer of `SCardStatus`. */
export interface CardStatus {
  /** The reader's name as pcscd reports it. */
  readonly reader: string;
  /** `SCARD_ABSENT | SCARD_PRESENT | SCARD_POWERED | SCARD_SPECIFIC …` bits. */
  readonly state: number;
  /** Active protocol, `SCARD_PROTOCOL_T0` or `SCARD_PROTOCOL_T1`. */
  readonly protocol: number;
  /** The card's ATR. */
  readonly atr: Uint8Array;
}

/** Internal wiring handed from {@linkcode PcscContext} to a new card; not for other callers. */
export interface CardInit {
  readonly library: PcscLibrary;
  readonly handle: bigint;
  readonly reader: string;
  readonly protocol: number;
  readonly onClosed: (card: PcscCard) => void;
}

/** Reads `SCardStatus` for a handle. */
export async function readStatus(library: PcscLibrary, handle: bigint): Promise<CardStatus> {
  const name = new Uint8Array(1024);
  const nameLen = allocWord();
  writeDword(nameLen, name.length);
  const state = allocWord();
  const protocol = allocWord();
  const atr = new Uint8Array(MAX_ATR_SIZE);
  const atrLen = allocWord();
  writeDword(atrLen, atr.length);
  check(
    "SCardStatus",
    await library.symbols.SCardStatus(handle, name, nameLen, state, protocol, atr, atrLen),
  );
  const n = Math.min(readDword(nameLen), name.length);
  return {
    reader: decodeCString(name.subarray(0, n)),
    state: readDword(state),
    protocol: readDword(protocol),
    atr: atr.slice(0, Math.min(readDword(atrLen), MAX_ATR_SIZE)),
  };
}

/** A shared-mode card handle (from `PcscContext.connectShared`). */
export class PcscCard implements AsyncDisposable {
  #lib: PcscLibrary;
  #handle: bigint | undefined;
  #protocol: number;
  #onClosed: (card: PcscCard) => void;
  #tx: PcscTransaction | undefined;
  /** The reader this handle is connected through. */
  readonly reader: string;

  /** @internal Use `PcscContext.connectShared`. */
  constructor(init: CardInit) {
    this.#lib = init.library;
    this.#handle = init.handle;
    this.#protocol = init.protocol;
    this.#onClosed = init.onClosed;
    this.reader = init.reader;
  }

  /** The negotiated protocol (`SCARD_PROTOCOL_T0` / `SCARD_PROTOCOL_T1`). */
  get protocol(): number {
    return this.#protocol;
  }

  /** False once disconnected. */
  get connected(): boolean {
    return this.#handle !== undefined;
  }

  #live(op: string): bigint {
    if (this.#handle === undefined) {
      throw new Error(`Cannot ${op}: the card handle for "${this.reader}" is closed`);
    }
    return this.#handle;
  }

  /**
   * `SCardStatus`: reader name, state bits, protocol and ATR. Like connect and transmit, pcscd
   * makes it wait while another handle holds a transaction.
   */
  async status(): Promise<CardStatus> {
    return await readStatus(this.#lib, this.#live("read card status"));
  }

  /**
   * `SCardBeginTransaction`, then `SCardStatus` for the ATR. Waits while another client holds a
   * transaction (pcsc-lite offers no way to cancel that wait). One transaction per handle at a time.
   */
  async beginTransaction(): Promise<PcscTransaction> {
    const handle = this.#live("begin card transaction");
    if (this.#tx?.active) {
      throw new Error(`Cannot begin card transaction: one is already open on "${this.reader}"`);
    }
    check("SCardBeginTransaction", await this.#lib.symbols.SCardBeginTransaction(handle));
    const tx = new PcscTransaction(this.#lib, handle, this, this.#protocol);
    this.#tx = tx;
    try {
      const st = await readStatus(this.#lib, handle);
      tx.setAtr(st.atr);
    } catch (e) {
      await tx.end().catch(() => {});
      throw e;
    }
    return tx;
  }

  /**
   * `SCardReconnect` in shared mode; `initialization: "reset"` warm-resets the card (every
   * other handle then sees `SCARD_W_RESET_CARD`). Returns the new protocol.
   */
  async reconnect(
    options: { initialization?: Disposition; protocols?: number } = {},
  ): Promise<number> {
    const handle = this.#live("reconnect to card");
    const out = allocWord();
    check(
      "SCardReconnect",
      await this.#lib.symbols.SCardReconnect(
        handle,
        SCARD_SHARE_SHARED,
        options.protocols ?? SCARD_PROTOCOL_ANY,
        dispositionValue(options.initialization ?? "leave"),
        out,
      ),
    );
    this.#protocol = readDword(out);
    return this.#protocol;
  }

  /** `SCardControl`: a reader control code (e.g. PC/SC part 10 feature requests). */
  async control(
    code: number,
    input: Uint8Array,
    options: { maxResponse?: number } = {},
  ): Promise<Uint8Array> {
    const handle = this.#live("send reader control code");
    const out = new Uint8Array(options.maxResponse ?? MAX_BUFFER_SIZE_EXTENDED);
    const returned = allocWord();
    check(
      "SCardControl",
      await this.#lib.symbols.SCardControl(
        handle,
        code,
        input,
        input.length,
        out,
        out.length,
        returned,
      ),
    );
    return out.slice(0, Math.min(readDword(returned), out.length));
  }

  /** `SCardGetAttrib`: a reader attribute (`SCARD_ATTR_*`) as raw bytes. */
  async getAttribute(id: number): Promise<Uint8Array> {
    const handle = this.#live("read reader attribute");
    const len = allocWord();
    check("SCardGetAttrib", await this.#lib.symbols.SCardGetAttrib(handle, id, null, len));
    for (let tries = 0; tries < 3; tries++) {
      const buf = new Uint8Array(Math.max(readDword(len), 1));
      writeDword(len, buf.length);
      const rv = toReturnCode(await this.#lib.symbols.SCardGetAttrib(handle, id, buf, len));
      if (rv === SCARD_E_INSUFFICIENT_BUFFER) continue;
      check("SCardGetAttrib", rv);
      return buf.slice(0, Math.min(readDword(len), buf.length));
    }
    throw new PcscError("SCardGetAttrib", SCARD_E_INSUFFICIENT_BUFFER);
  }

  /**
   * `SCardDisconnect` (default `SCARD_LEAVE_CARD`). Idempotent. Card-gone and service-gone codes
   * are ignored (the handle is gone either way); other failures throw.
   */
  async disconnect(disposition: Disposition = "leave"): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    this.#tx?.markEnded();
    this.#tx = undefined;
    this.#onClosed(this);
    try {
      check(
        "SCardDisconnect",
        await this.#lib.symbols.SCardDisconnect(handle, dispositionValue(disposition)),
      );
    } catch (e) {
      if (!isRetryable(e)) throw e;
    }
  }

  /** Disconnects with `SCARD_LEAVE_CARD`; never throws (failures are logged). */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.disconnect();
    } catch (e) {
      log.warn("Cannot disconnect from {reader}: {error}", {
        reader: this.reader,
        error: String(e),
      });
    }
  }
}

/**
 * One PC/SC transaction. Its {@linkcode channel} is valid until the transaction ends; APDUs are
 * sent one at a time with the connected protocol's PCI and a 64 KiB receive buffer.
 */
export class PcscTransaction implements AsyncDisposable {
  #lib: PcscLibrary;
  #handle: bigint;
  #card: PcscCard;
  #active = true;
  #sendPci: Uint8Array;
  #recv: Uint8Array | undefined;
  #recvLen = allocWord();
  #queue: Promise<unknown> = Promise.resolve();
  #atr: Uint8Array = new Uint8Array(0);
  #resetOnEnd = false;
  /** The card channel for this transaction (see `CardChannel`). */
  readonly channel: CardChannel;

  /** @internal Use `PcscCard.beginTransaction`. */
  constructor(lib: PcscLibrary, handle: bigint, card: PcscCard, protocol: number) {
    this.#lib = lib;
    this.#handle = handle;
    this.#card = card;
    this.#sendPci = encodeIoRequest(protocol);
    // deno-lint-ignore no-this-alias
    const tx = this;
    this.channel = {
      reader: card.reader,
      get atr() {
        return tx.#atr;
      },
      transmit(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
        return tx.#enqueue(apdu, signal);
      },
      resetOnEnd() {
        tx.#resetOnEnd = true;
      },
    };
  }

  /** @internal */
  setAtr(atr: Uint8Array): void {
    this.#atr = atr;
  }

  /** @internal Called when the handle is disconnected under the transaction. */
  markEnded(): void {
    this.#active = false;
    wipe(this.#recv);
  }

  /** True once the channel asked for the card to be reset when the transaction ends. */
  get resetRequested(): boolean {
    return this.#resetOnEnd;
  }

  /** True until {@linkcode end} (or the card's disconnect). */
  get active(): boolean {
    return this.#active;
  }

  #enqueue(apdu: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const run = this.#queue.then(() => this.#transmit(apdu, signal));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #transmit(apdu: Uint8Array, signal: AbortSignal | undefined): Promise<Uint8Array> {
    signal?.throwIfAborted();
    if (!this.#active) {
      throw new Error(`Cannot transmit APDU: the transaction on "${this.#card.reader}" has ended`);
    }
    this.#recv ??= new Uint8Array(MAX_BUFFER_SIZE_EXTENDED);
    const recv = this.#recv;
    writeDword(this.#recvLen, recv.length);
    check(
      "SCardTransmit",
      await this.#lib.symbols.SCardTransmit(
        this.#handle,
        this.#sendPci,
        apdu,
        apdu.length,
        null,
        recv,
        this.#recvLen,
      ),
    );
    const n = Math.min(readDword(this.#recvLen), recv.length);
    const out = recv.slice(0, n);
    recv.fill(0, 0, n);
    return out;
  }

  /**
   * `SCardEndTransaction` (default `SCARD_LEAVE_CARD`). Idempotent; waits for an APDU in flight.
   * Card-gone and service-gone codes are ignored; other failures throw. A reset that pcscd
   * refuses with `SCARD_E_NOT_TRANSACTED` throws too: the card may still be verified, and only
   * the caller can still reset it (by disconnecting with `SCARD_RESET_CARD`).
   */
  async end(disposition: Disposition = "leave"): Promise<void> {
    if (!this.#active) return;
    this.#active = false;
    await this.#queue;
    wipe(this.#recv);
    if (!this.#card.connected) return;
    try {
      check(
        "SCardEndTransaction",
        await this.#lib.symbols.SCardEndTransaction(this.#handle, dispositionValue(disposition)),
      );
    } catch (e) {
      const unheld = findPcscError(e)?.rv === SCARD_E_NOT_TRANSACTED;
      if (!isRetryable(e) || (disposition === "reset" && unheld)) throw e;
    }
  }

  /** Ends with `SCARD_LEAVE_CARD`; never throws (failures are logged). */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.end();
    } catch (e) {
      log.warn("Cannot end transaction on {reader}: {error}", {
        reader: this.#card.reader,
        error: String(e),
      });
    }
  }
}

/** Names a protocol for messages and logs: `"T=0"`, `"T=1"` or hex. */
export function describeProtocol(protocol: number): string {
  return protocol === 1 ? "T=0" : protocol === 2 ? "T=1" : `0x${protocol.toString(16)}`;
}

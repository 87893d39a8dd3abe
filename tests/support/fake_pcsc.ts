/**
 * A pcsc-lite stand-in for src/pcsc's unit tests: same symbol shapes and out-parameter
 * conventions as the real library, a few readers with scripted cards, and counters that show
 * what is still held. Models only what the reader layer relies on: per-handle "card was reset"
 * state until reconnect, transactions as a per-reader lock, pcscd going away.
 *
 * @module
 */

import {
  decodeCString,
  encodeMultiString,
  type PcscLibrary,
  type PcscSymbols,
  readDword,
  SCARD_E_INSUFFICIENT_BUFFER,
  SCARD_E_INVALID_HANDLE,
  SCARD_E_NO_READERS_AVAILABLE,
  SCARD_E_NO_SERVICE,
  SCARD_E_NO_SMARTCARD,
  SCARD_E_NOT_TRANSACTED,
  SCARD_E_SHARING_VIOLATION,
  SCARD_E_UNKNOWN_READER,
  SCARD_PRESENT,
  SCARD_PROTOCOL_T1,
  SCARD_RESET_CARD,
  SCARD_S_SUCCESS,
  SCARD_SHARE_SHARED,
  SCARD_W_REMOVED_CARD,
  SCARD_W_RESET_CARD,
  writeDword,
  writeLong,
} from "../../ffi/mod.ts";

/** Answers one APDU: response bytes, or a PC/SC return code to fail the transmit with. */
export type FakeResponder = (apdu: Uint8Array, fake: FakePcsc) => Uint8Array | number;

interface Handle {
  ctx: bigint;
  reader: string;
  generation: number; // card generation at connect/reconnect; differs → reset/removed
  cardId: number;
}

interface Slot {
  card: { atr: Uint8Array; respond: FakeResponder; id: number; generation: number } | undefined;
  lock: bigint | undefined;
}

type Buf = BufferSource | null;
type Int = number | bigint;

function bytes(b: Buf): Uint8Array {
  if (b === null) throw new TypeError("null buffer");
  return b instanceof Uint8Array ? b : new Uint8Array(b as ArrayBuffer);
}

/** A fake pcsc-lite. */
export class FakePcsc implements PcscLibrary {
  readonly path = "fake";
  /** False makes every call fail with SCARD_E_NO_SERVICE. */
  serviceUp = true;
  /** While set, SCardBeginTransaction waits for it (another client holding the card). */
  beginGate: Promise<void> | undefined;
  /** Names of the symbols called, in order. */
  readonly calls: string[] = [];
  /** The disposition of every SCardEndTransaction, in order. */
  readonly endDispositions: number[] = [];
  /** The disposition of every SCardDisconnect, in order. */
  readonly disconnectDispositions: number[] = [];
  /** APDUs transmitted, in order. */
  readonly apdus: Uint8Array[] = [];
  readonly #slots = new Map<string, Slot>();
  readonly #contexts = new Set<bigint>();
  readonly #handles = new Map<bigint, Handle>();
  #next = 0x1000n;
  #cardIds = 0;
  readonly symbols: PcscSymbols;

  constructor(readers: string[] = ["Fake Reader 00"]) {
    for (const r of readers) this.#slots.set(r, { card: undefined, lock: undefined });
    this.symbols = this.#makeSymbols();
  }

  /** Puts a card in a reader. */
  insert(reader: string, atr: Uint8Array, respond: FakeResponder): void {
    this.#slot(reader).card = { atr, respond, id: ++this.#cardIds, generation: 0 };
  }

  /** Takes the card out (existing handles then see SCARD_W_REMOVED_CARD). */
  remove(reader: string): void {
    const slot = this.#slot(reader);
    slot.card = undefined;
    slot.lock = undefined;
  }

  /** Resets the card as another client would (existing handles see SCARD_W_RESET_CARD). */
  reset(reader: string): void {
    const card = this.#slot(reader).card;
    if (card !== undefined) card.generation++;
  }

  /** pcscd forgets who holds the reader's transaction (its end then fails NOT_TRANSACTED). */
  dropLock(reader: string): void {
    this.#slot(reader).lock = undefined;
  }

  /** Open contexts. */
  get openContexts(): number {
    return this.#contexts.size;
  }
  /** Open card handles. */
  get openHandles(): number {
    return this.#handles.size;
  }
  /** True when some handle holds a transaction on the reader. */
  locked(reader: string): boolean {
    return this.#slot(reader).lock !== undefined;
  }

  #slot(reader: string): Slot {
    const s = this.#slots.get(reader);
    if (s === undefined) throw new Error(`no fake reader "${reader}"`);
    return s;
  }

  /** Checks a handle the way pcscd does: gone, removed, reset. */
  #checkHandle(h: Int): number | Handle {
    const handle = this.#handles.get(BigInt(h));
    if (handle === undefined) return SCARD_E_INVALID_HANDLE;
    const card = this.#slot(handle.reader).card;
    if (card === undefined || card.id !== handle.cardId) return SCARD_W_REMOVED_CARD;
    if (card.generation !== handle.generation) return SCARD_W_RESET_CARD;
    return handle;
  }

  #makeSymbols(): PcscSymbols {
    // deno-lint-ignore no-this-alias
    const f = this;
    const up = () => f.serviceUp;
    const done = (rv: number) => Promise.resolve(BigInt(rv));
    const impl = {
      SCardEstablishContext(_s: Int, _a: unknown, _b: unknown, out: Buf) {
        f.calls.push("SCardEstablishContext");
        if (!up()) return done(SCARD_E_NO_SERVICE);
        const id = f.#next++;
        f.#contexts.add(id);
        writeLong(bytes(out), id);
        return done(SCARD_S_SUCCESS);
      },
      SCardReleaseContext(ctx: Int) {
        f.calls.push("SCardReleaseContext");
        const id = BigInt(ctx);
        if (!f.#contexts.delete(id)) return done(SCARD_E_INVALID_HANDLE);
        for (const [h, handle] of f.#handles) {
          if (handle.ctx !== id) continue;
          f.#handles.delete(h);
          const slot = f.#slot(handle.reader);
          if (slot.lock === h) slot.lock = undefined;
        }
        return done(up() ? SCARD_S_SUCCESS : SCARD_E_NO_SERVICE);
      },
      SCardIsValidContext(ctx: Int) {
        return BigInt(f.#contexts.has(BigInt(ctx)) ? SCARD_S_SUCCESS : SCARD_E_INVALID_HANDLE);
      },
      SCardListReaders(_ctx: Int, _g: unknown, out: Buf, len: Buf) {
        f.calls.push("SCardListReaders");
        if (!up()) return done(SCARD_E_NO_SERVICE);
        if (f.#slots.size === 0) return done(SCARD_E_NO_READERS_AVAILABLE);
        const multi = encodeMultiString([...f.#slots.keys()]);
        const lenBuf = bytes(len);
        if (out !== null) {
          if (readDword(lenBuf) < multi.length) return done(SCARD_E_INSUFFICIENT_BUFFER);
          bytes(out).set(multi);
        }
        writeDword(lenBuf, multi.length);
        return done(SCARD_S_SUCCESS);
      },
      SCardGetStatusChange() {
        throw new Error("fake SCardGetStatusChange is not implemented");
      },
      SCardCancel() {
        return BigInt(SCARD_S_SUCCESS);
      },
      SCardConnect(ctx: Int, name: Buf, share: Int, _p: Int, out: Buf, proto: Buf) {
        f.calls.push("SCardConnect");
        if (!up()) return done(SCARD_E_NO_SERVICE);
        if (!f.#contexts.has(BigInt(ctx))) return done(SCARD_E_INVALID_HANDLE);
        const reader = decodeCString(bytes(name));
        const slot = f.#slots.get(reader);
        if (slot === undefined) return done(SCARD_E_UNKNOWN_READER);
        if (slot.card === undefined) return done(SCARD_E_NO_SMARTCARD);
        if (Number(share) !== SCARD_SHARE_SHARED) return done(SCARD_E_SHARING_VIOLATION);
        const id = f.#next++;
        f.#handles.set(id, {
          ctx: BigInt(ctx),
          reader,
          generation: slot.card.generation,
          cardId: slot.card.id,
        });
        writeLong(bytes(out), id);
        writeDword(bytes(proto), SCARD_PROTOCOL_T1);
        return done(SCARD_S_SUCCESS);
      },
      SCardReconnect(h: Int, _s: Int, _p: Int, init: Int, proto: Buf) {
        f.calls.push("SCardReconnect");
        const handle = f.#handles.get(BigInt(h));
        if (handle === undefined) return done(SCARD_E_INVALID_HANDLE);
        const card = f.#slot(handle.reader).card;
        if (card === undefined) return done(SCARD_E_NO_SMARTCARD);
        if (Number(init) === SCARD_RESET_CARD) card.generation++;
        handle.generation = card.generation;
        handle.cardId = card.id;
        writeDword(bytes(proto), SCARD_PROTOCOL_T1);
        return done(SCARD_S_SUCCESS);
      },
      SCardDisconnect(h: Int, d: Int) {
        f.calls.push("SCardDisconnect");
        f.disconnectDispositions.push(Number(d));
        const handle = f.#handles.get(BigInt(h));
        if (handle === undefined) return done(SCARD_E_INVALID_HANDLE);
        f.#handles.delete(BigInt(h));
        const slot = f.#slot(handle.reader);
        if (slot.lock === BigInt(h)) slot.lock = undefined;
        return done(up() ? SCARD_S_SUCCESS : SCARD_E_NO_SERVICE);
      },
      SCardBeginTransaction(h: Int) {
        f.calls.push("SCardBeginTransaction");
        if (!up()) return done(SCARD_E_NO_SERVICE);
        const handle = f.#checkHandle(h);
        if (typeof handle === "number") return done(handle);
        const slot = f.#slot(handle.reader);
        const lock = () => {
          if (slot.lock !== undefined && slot.lock !== BigInt(h)) {
            throw new Error("fake: nested transactions from different handles would block");
          }
          slot.lock = BigInt(h);
          return SCARD_S_SUCCESS;
        };
        const gate = f.beginGate;
        return gate ? gate.then(() => BigInt(lock())) : done(lock());
      },
      SCardEndTransaction(h: Int, d: Int) {
        f.calls.push("SCardEndTransaction");
        f.endDispositions.push(Number(d));
        if (!up()) return done(SCARD_E_NO_SERVICE);
        const handle = f.#checkHandle(h);
        if (typeof handle === "number") return done(handle);
        const slot = f.#slot(handle.reader);
        if (slot.lock !== BigInt(h)) return done(SCARD_E_NOT_TRANSACTED);
        slot.lock = undefined;
        // pcsc-lite marks every handle on the card reset, the ending one too (winscard.c)
        if (Number(d) === SCARD_RESET_CARD && slot.card) slot.card.generation++;
        return done(SCARD_S_SUCCESS);
      },
      SCardStatus(h: Int, name: Buf, nameLen: Buf, state: Buf, proto: Buf, atr: Buf, atrLen: Buf) {
        f.calls.push("SCardStatus");
        if (!up()) return done(SCARD_E_NO_SERVICE);
        const handle = f.#checkHandle(h);
        if (typeof handle === "number") return done(handle);
        const card = f.#slot(handle.reader).card!;
        const n = new TextEncoder().encode(handle.reader + "\0\0");
        bytes(name).set(n);
        writeDword(bytes(nameLen), n.length);
        writeDword(bytes(state), SCARD_PRESENT);
        writeDword(bytes(proto), SCARD_PROTOCOL_T1);
        bytes(atr).set(card.atr);
        writeDword(bytes(atrLen), card.atr.length);
        return done(SCARD_S_SUCCESS);
      },
      SCardTransmit(h: Int, _pci: Buf, send: Buf, sendLen: Int, _r: unknown, recv: Buf, len: Buf) {
        f.calls.push("SCardTransmit");
        if (!up()) return done(SCARD_E_NO_SERVICE);
        const handle = f.#checkHandle(h);
        if (typeof handle === "number") return done(handle);
        const apdu = bytes(send).slice(0, Number(sendLen));
        f.apdus.push(apdu);
        const card = f.#slot(handle.reader).card!;
        const answer = card.respond(apdu, f);
        if (typeof answer === "number") return done(answer);
        const again = f.#checkHandle(h); // the responder may have reset or removed the card
        if (typeof again === "number") return done(again);
        bytes(recv).set(answer);
        writeDword(bytes(len), answer.length);
        return done(SCARD_S_SUCCESS);
      },
      SCardControl() {
        return done(SCARD_S_SUCCESS);
      },
      SCardGetAttrib(_h: Int, _id: Int, out: Buf, len: Buf) {
        const value = Uint8Array.of(1, 2, 3);
        if (out !== null) bytes(out).set(value);
        writeDword(bytes(len), value.length);
        return done(SCARD_S_SUCCESS);
      },
    };
    return impl as unknown as PcscSymbols;
  }
}

/**
 * Getting a card handle and a transaction for one operation, within a bounded wait, from a
 * fresh context or from the optional pool (`SCD_TS_POOL_TTL`).
 *
 * Busy card: while another client holds a transaction, pcscd makes `SCardConnect` and
 * `SCardBeginTransaction` wait, and pcsc-lite cannot cancel that wait (its client library
 * keeps the context's lock for the whole wait, so not even a disconnect gets through). So the
 * wait is raced against `busyTimeoutMs`: when the timer wins the operation fails with
 * {@linkcode CardBusyError}, and the abandoned handle is cleaned up in the background as soon
 * as pcscd lets go of it (a transaction that arrives late is ended at once, unused).
 *
 * Pool: one context and shared handle per reader, kept for `ttlMs` after its last use, then
 * disconnected (`SCARD_LEAVE_CARD`) by a timer. Every operation still begins and ends its own
 * transaction and re-SELECTs. Operations on one pooled handle run one after another (a second
 * `SCardBeginTransaction` on the handle that holds the lock would not wait). A handle that
 * failed in any PC/SC way is dropped, never reused.
 * @module
 */

import type { PcscTransaction } from "./card.ts";
import type { PcscCard } from "./card.ts";
import { PcscContext, type PcscOptions } from "./context.ts";

/** Another client held the card longer than the bound. gpg-error: TIMEOUT. */
export class CardBusyError extends Error {
  override name = "CardBusyError";
}

/** An open transaction and how to give it back. */
export interface Opened {
  readonly tx: PcscTransaction;
  /** Ends the transaction; `broken` drops the handle even when pooled. */
  close(broken: boolean): Promise<void>;
}

/** What {@linkcode openTransaction} needs. */
export interface OpenOptions extends PcscOptions {
  protocols?: number;
  /** Give up waiting for the card after this long (0 or absent: wait as long as pcscd does). */
  busyTimeoutMs?: number;
  /** Take the handle from (and give it back to) this pool. */
  pool?: HandlePool | undefined;
}

interface Handle {
  context: PcscContext;
  card: PcscCard;
}

async function connectFresh(reader: string, options: OpenOptions): Promise<Handle> {
  const context = await PcscContext.establish(
    options.library === undefined ? {} : { library: options.library },
  );
  try {
    const card = await context.connectShared(
      reader,
      options.protocols === undefined ? {} : { protocols: options.protocols },
    );
    return { context, card };
  } catch (e) {
    await context[Symbol.asyncDispose]();
    throw e;
  }
}

async function dispose(h: Handle): Promise<void> {
  await h.card[Symbol.asyncDispose]();
  await h.context[Symbol.asyncDispose]();
}

/**
 * Ends `tx` with `SCARD_RESET_CARD`; when that fails (the handle broke under the operation),
 * disconnects with `SCARD_RESET_CARD` instead, so a reset asked for is never a plain LEAVE.
 * Card-gone and service-gone errors count as done (the card lost its power and with it every
 * verification); anything else is thrown: the caller must not pretend the card is clear.
 */
async function endWithReset(tx: PcscTransaction, h: Handle): Promise<void> {
  try {
    await tx.end("reset");
    return;
  } catch (e) {
    if (!h.card.connected) throw e;
    await h.card.disconnect("reset").catch((d) => {
      throw new AggregateError([e, d], "Cannot reset the card after the operation");
    });
  }
}

/** A handle (pooled or fresh) with a transaction begun on it. */
async function begin(reader: string, options: OpenOptions): Promise<Opened> {
  const pool = options.pool;
  const release = pool ? await pool.take(reader) : () => {};
  let handle: Handle | undefined;
  try {
    handle = pool?.get(reader) ?? await connectFresh(reader, options);
    const tx = await handle.card.beginTransaction();
    const h = handle;
    return {
      tx,
      async close(broken) {
        if (tx.resetRequested) {
          // strict PIN policy: the reset must happen even when the operation broke, or the
          // card stays verified for every other client (pcsc-lite then marks every handle on
          // the card reset, ours too: never pool it)
          try {
            await endWithReset(tx, h);
          } finally {
            await (pool ? pool.drop(reader, h) : dispose(h));
            release();
          }
          return;
        }
        await tx[Symbol.asyncDispose]();
        if (pool && !broken) pool.keep(reader, h);
        else await (pool ? pool.drop(reader, h) : dispose(h));
        release();
      },
    };
  } catch (e) {
    if (handle) await (pool ? pool.drop(reader, handle) : dispose(handle));
    release();
    throw e;
  }
}

/** Connect (or take the pooled handle) and begin a transaction, within the busy bound. */
export async function openTransaction(reader: string, options: OpenOptions): Promise<Opened> {
  const opening = begin(reader, options);
  const bound = options.busyTimeoutMs ?? 0;
  if (bound <= 0) return await opening;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = Symbol("late");
  const waited = new Promise<typeof late>((resolve) => (timer = setTimeout(resolve, bound, late)));
  try {
    const first = await Promise.race([opening, waited]);
    if (first !== late) return first;
  } finally {
    clearTimeout(timer);
  }
  // pcscd still has us waiting: whatever arrives later is ended unused and dropped
  opening.then((o) => o.close(true), () => {});
  throw new CardBusyError(
    `Cannot use the card in "${reader}": another program has held it for more than ${bound} ms`,
  );
}

/** Pooled handles per reader (see the module header). */
export class HandlePool {
  readonly ttlMs: number;
  #handles = new Map<string, { handle: Handle; timer: ReturnType<typeof setTimeout> }>();
  #queues = new Map<string, Promise<void>>();

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  /** Wait for the reader's turn; returns the function that ends it. */
  async take(reader: string): Promise<() => void> {
    const before = this.#queues.get(reader) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const chain = before.then(() => mine);
    this.#queues.set(reader, chain);
    await before;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      done();
      if (this.#queues.get(reader) === chain) this.#queues.delete(reader);
    };
  }

  /** The pooled handle for `reader`, if any (its expiry timer stops while in use). */
  get(reader: string): Handle | undefined {
    const entry = this.#handles.get(reader);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.#handles.delete(reader);
    return entry.handle;
  }

  /** Keep `handle` for the next operation, until the TTL passes unused. */
  keep(reader: string, handle: Handle): void {
    const timer = setTimeout(() => {
      if (this.#handles.get(reader)?.handle !== handle) return;
      this.#handles.delete(reader);
      void dispose(handle);
    }, this.ttlMs);
    Deno.unrefTimer(timer); // an idle pool must not keep the daemon alive
    this.#handles.set(reader, { handle, timer });
  }

  /** Disconnect `handle` and forget it. */
  async drop(reader: string, handle: Handle): Promise<void> {
    const entry = this.#handles.get(reader);
    if (entry?.handle === handle) {
      clearTimeout(entry.timer);
      this.#handles.delete(reader);
    }
    await dispose(handle);
  }

  /** Number of handles held now (tests, logs). */
  get size(): number {
    return this.#handles.size;
  }

  /** Disconnect everything (daemon exit). */
  async close(): Promise<void> {
    const all = [...this.#handles.values()];
    this.#handles.clear();
    for (const e of all) {
      clearTimeout(e.timer);
      await dispose(e.handle);
    }
  }
}

/**
 * The burst hold (`hold`, SCD_TS_HOLD): after a card operation the transaction — and with it
 * the card's PIN verification — is kept for up to `holdMs`, so the next operation of a burst
 * (`git rebase` re-signing 50 commits, `pass` decrypting many files) is only its PSO: no
 * SELECT, no VERIFY, no reset. The isolation of the strict policy holds because no other
 * PC/SC client can send an APDU while the transaction is ours; they wait at most `holdMs`.
 * When the time passes with no new operation, the verification is reset and the transaction
 * ended; an operation that needs a person (a PIN prompt) ends it first, since nobody is asked
 * while a transaction is open. pcsc-lite does not tell a holder that another client waits, so
 * the hold cannot end early for them: keep `holdMs` short.
 *
 * The hold is bounded (issue 18 item 3, issue 17 L6): a client that sends operations less than
 * `holdMs` apart would otherwise keep the transaction, and the verified PIN, for as long as it
 * likes and lock every other PC/SC program out. So it also ends `maxMs` after it began (the
 * first operation's answer) and after `maxOps` operations, whichever comes first; an operation
 * running at that moment finishes, queued ones go to transactions of their own. Another program
 * then gets the card as it would between any two operations with the hold off.
 * @module
 */

/** Default `maxMs` (`hold-max`): a waiting program waits at most about this, plus one operation. */
export const HOLD_MAX_MS = 2000;

/**
 * Default `maxOps`: the operations one held transaction serves, the first included. The time
 * cap alone would let a fast card (a YubiKey signs in a few tens of ms) run some 50 operations
 * on one VERIFY; 16 bounds what one verification authorises whatever the card's speed, and a
 * long burst still skips the SELECT, VERIFY and reset of 15 operations in 16 (1/16, about 6 %,
 * of what the hold saves is given back).
 */
export const HOLD_MAX_OPS = 16;

/** Bounds of one hold; see the module header. */
export interface HoldLimits {
  /** End the hold this long after it began (default {@linkcode HOLD_MAX_MS}). */
  maxMs?: number;
  /** Operations in one held transaction, the first included (default {@linkcode HOLD_MAX_OPS}). */
  maxOps?: number;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** One operation waiting to run in the held transaction (`S`: its session). */
export interface HeldJob<S> {
  /** Runs the operation on the held session. */
  run: (session: S) => Promise<unknown>;
  /** Runs it in a transaction of its own (the hold ended before its turn). */
  elsewhere: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** The queue of a held transaction: jobs arrive, or the time runs out. */
export class HeldTransaction<S> {
  readonly holdMs: number;
  readonly maxMs: number;
  readonly maxOps: number;
  #now: () => number;
  #queue: HeldJob<S>[] = [];
  #wake: (() => void) | undefined;
  #closed = false;
  /** When the hold began (the first call of `next`), and the operations it served so far. */
  #began: number | undefined;
  #served = 1;

  constructor(holdMs: number, limits: HoldLimits = {}) {
    this.holdMs = holdMs;
    this.maxMs = limits.maxMs ?? HOLD_MAX_MS;
    this.maxOps = limits.maxOps ?? HOLD_MAX_OPS;
    this.#now = limits.now ?? (() => performance.now());
  }

  /** False once the hold ended (time out, error, release); new jobs then go elsewhere. */
  get open(): boolean {
    return !this.#closed;
  }

  /** Queue an operation for the held transaction; undefined when the hold already ended. */
  submit<T>(
    run: (session: S) => Promise<T>,
    elsewhere: () => Promise<T>,
  ): Promise<T> | undefined {
    if (this.#closed) return undefined;
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, elsewhere, resolve: resolve as (v: unknown) => void, reject });
      this.#wake?.();
    });
  }

  /**
   * The next job, or undefined when the hold is over: none came within `holdMs` (nor before
   * the `maxMs` deadline), or a cap was reached (queued jobs then go elsewhere).
   */
  async next(): Promise<HeldJob<S> | undefined> {
    this.#began ??= this.#now();
    const left = this.maxMs - (this.#now() - this.#began);
    if (left <= 0 || this.#served >= this.maxOps) {
      this.close();
      return undefined;
    }
    if (this.#queue.length === 0 && !this.#closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(() => {
          if (this.#queue.length === 0) this.#closed = true; // decided now: no job may slip in
          resolve();
        }, Math.min(this.holdMs, left));
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    if (this.#closed && this.#queue.length === 0) return undefined;
    this.#served++;
    return this.#queue.shift();
  }

  /** End the hold now: queued jobs run in transactions of their own. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
    for (const job of this.#queue.splice(0)) job.elsewhere().then(job.resolve, job.reject);
  }
}

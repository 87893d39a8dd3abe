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
 * @module
 */

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
  #queue: HeldJob<S>[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(holdMs: number) {
    this.holdMs = holdMs;
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

  /** The next job, or undefined when none came within `holdMs` (the hold is then over). */
  async next(): Promise<HeldJob<S> | undefined> {
    if (this.#queue.length === 0 && !this.#closed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(() => {
          if (this.#queue.length === 0) this.#closed = true; // decided now: no job may slip in
          resolve();
        }, this.holdMs);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    if (this.#closed && this.#queue.length === 0) return undefined;
    return this.#queue.shift();
  }

  /** End the hold now: queued jobs run in transactions of their own. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
    for (const job of this.#queue.splice(0)) job.elsewhere().then(job.resolve, job.reject);
  }
}

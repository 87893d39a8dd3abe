/**
 * The quiet-period timer behind `monitor-idle` (docs/reliability.md F5b): it calls `onIdle`
 * once `ms` have passed with no use in progress. A use is one Assuan command from start to
 * end (the server marks it), so a long one — a PIN entry, `DEVINFO --watch` — never counts as
 * quiet. `ms` 0 turns it off.
 * @module
 */

/** Calls `onIdle` after `ms` without a use; {@linkcode IdleTimer.use} marks one. */
export class IdleTimer {
  readonly ms: number;
  #onIdle: () => void;
  #busy = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(ms: number, onIdle: () => void) {
    this.ms = ms;
    this.#onIdle = onIdle;
  }

  /** A use begins; the quiet period starts again when the last use is disposed. */
  use(): Disposable {
    this.#busy++;
    this.#clear();
    let ended = false;
    return {
      [Symbol.dispose]: () => {
        if (ended) return;
        ended = true;
        this.#busy--;
        this.arm();
      },
    };
  }

  /** Starts the quiet period now (unless a use is in progress, off or closed). */
  arm(): void {
    this.#clear();
    if (this.ms <= 0 || this.#busy > 0 || this.#closed) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#onIdle();
    }, this.ms);
    Deno.unrefTimer(timer);
    this.#timer = timer; // an idle daemon exits when its sessions end, as before
  }

  /** No more calls of `onIdle`. */
  close(): void {
    this.#closed = true;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

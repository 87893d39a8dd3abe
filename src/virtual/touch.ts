/**
 * User presence for UIF (spec 3.4, user interaction flag DOs D6–D8): an operation waits until touch() is
 * called, or until the auto-touch timer fires; reset or power-off cancels the wait.
 * @module
 */

import { SW_ACK_TIMEOUT } from "../iso7816/sw.ts";
import { StatusError } from "./command_apdu.ts";

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Waits for a (simulated) button press. */
export class TouchGate {
  #waiters: Waiter[] = [];

  /** Milliseconds until an automatic confirmation; negative = only touch() confirms. */
  constructor(public autoTouchMs: number) {}

  /** Operations currently waiting for a touch. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves on touch (or auto-touch); rejects with `StatusError(6600)` when cancelled. */
  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (this.autoTouchMs >= 0) {
        waiter.timer = setTimeout(() => this.#settle(waiter), this.autoTouchMs);
      }
      this.#waiters.push(waiter);
    });
  }

  /** Confirm every pending wait; returns how many were waiting. */
  touch(): number {
    const all = [...this.#waiters];
    for (const w of all) this.#settle(w);
    return all.length;
  }

  /** Abort every pending wait (card reset or removed). */
  cancel(): void {
    for (const w of [...this.#waiters]) {
      this.#settle(w, new StatusError(SW_ACK_TIMEOUT, "User presence wait cancelled"));
    }
  }

  #settle(waiter: Waiter, error?: Error): void {
    const i = this.#waiters.indexOf(waiter);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

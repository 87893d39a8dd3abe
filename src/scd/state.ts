/**
 * Per-connection state of one Assuan session (stock: `struct server_local_s` and the card
 * fields of `ctrl_t` in gpg/gnupg:scd/command.c): the SETDATA buffer, the sticky
 * card-removed flag, the bound card, the event signal, and whether KILLSCD was asked.
 *
 * Invariant: **a session holds no PC/SC handle.** Its "bound card" is a registry entry (a
 * reader name and an application object); the lock is the registry's, keyed by this object.
 * @module
 */

import type { CardEntry } from "./card_entry.ts";

/** Most bytes SETDATA may collect (`MAXLEN_SETDATA` in scd/command.c). */
export const MAX_SETDATA = 4096;

/** Options for {@linkcode SessionState}. */
export interface SessionStateOptions {
  /** True for the stdin/stdout session (gpg-agent's primary connection). */
  pipe?: boolean;
  /** The client's process id, when known (pipe: `_assuan_pipe_connect_pid`). */
  peerPid?: number | undefined;
}

/** State of one connection. */
export class SessionState {
  /** Process-unique session number (1, 2, …), for logs and trace prefixes. */
  readonly id: number;
  /** True for the stdin/stdout session. */
  readonly pipe: boolean;
  /** The client's pid, if known (the event signal goes there). */
  readonly peerPid: number | undefined;
  /**
   * Set when SERIALNO failed or the bound card went away; most commands then fail with
   * CARD_REMOVED until SERIALNO succeeds again (§3 SERIALNO, §8.3).
   */
  cardRemoved = false;
  /** `OPTION event-signal=N`: signal number sent on card changes (0 or undefined = none). */
  eventSignal: number | undefined;
  /** KILLSCD was given on this session: the process ends when the session does. */
  stopRequested = false;
  #card: CardEntry | undefined;
  #setData: Uint8Array | undefined;

  static #counter = 0;

  constructor(options: SessionStateOptions = {}) {
    this.id = ++SessionState.#counter;
    this.pipe = options.pipe ?? false;
    this.peerPid = options.peerPid;
  }

  /** The card this session works with, if any. */
  get card(): CardEntry | undefined {
    return this.#card;
  }

  /** Bind the session to `card` (SERIALNO, auto-select). */
  bind(card: CardEntry): void {
    this.#card = card;
  }

  /** Drop the card binding (RESTART, RESET, removal); the card itself is untouched. */
  unbind(): void {
    this.#card = undefined;
  }

  /** The SETDATA buffer, if any (not cleared by use, like stock). */
  get setData(): Uint8Array | undefined {
    return this.#setData;
  }

  /**
   * SETDATA: replace the buffer, or with `append` add to an existing one (stock honours
   * `--append` only when a buffer exists). Returns false when the total would exceed
   * {@linkcode MAX_SETDATA}; the buffer is then unchanged.
   */
  putSetData(bytes: Uint8Array, append: boolean): boolean {
    const base = append && this.#setData ? this.#setData : new Uint8Array(0);
    if (base.length + bytes.length > MAX_SETDATA) return false;
    const next = new Uint8Array(base.length + bytes.length);
    next.set(base);
    next.set(bytes, base.length);
    this.#setData?.fill(0);
    this.#setData = next;
    return true;
  }

  /** Wipe and drop the SETDATA buffer. */
  clearSetData(): void {
    this.#setData?.fill(0);
    this.#setData = undefined;
  }
}

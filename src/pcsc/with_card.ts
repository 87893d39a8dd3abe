/**
 * `withCard`: one card operation = a fresh PC/SC context + a shared handle + one transaction,
 * all released before it returns (design decision 4).
 *
 * ```ts
 * const aid = await withCard("Virtual PCD 00 00", async (channel) => {
 *   return await channel.transmit(selectOpenPgp);
 * }, { signal });
 * ```
 *
 * Recovery: when the attempt fails with `SCARD_W_RESET_CARD`, `SCARD_W_REMOVED_CARD`,
 * `SCARD_W_UNPOWERED_CARD`, `SCARD_E_NO_SERVICE`, `SCARD_E_SERVICE_STOPPED`,
 * `SCARD_F_COMM_ERROR`, `SCARD_W_SECURITY_VIOLATION` (libpcsclite's word for a reset socket),
 * `SCARD_E_INVALID_HANDLE`, `SCARD_E_READER_UNAVAILABLE`,
 * `SCARD_E_NO_SMARTCARD` or `SCARD_E_NOT_TRANSACTED` (also when wrapped as an error's `cause`),
 * everything is dropped and the whole `fn` runs once more on a fresh context. Other errors,
 * including every status word the card answers, are never retried.
 *
 * No PIN is ever sent twice. An attempt is *committed* — its failure is thrown, not retried —
 * as soon as either
 * - `fn` calls `attempt.commit(reason)` (do so before anything the card counts or remembers,
 *   e.g. a key generation), or
 * - the channel is about to send an ISO 7816-4 command that presents reference data: VERIFY
 *   (INS 20), CHANGE REFERENCE DATA (24) or RESET RETRY COUNTER (2C) with a data field, in an
 *   interindustry class. This happens before the APDU leaves, because after a reset in flight
 *   nobody knows whether the card counted the PIN.
 * `options.retry = false` turns retrying off altogether.
 *
 * Waiting: while another client holds a PC/SC transaction on the card, pcscd makes our
 * `SCardConnect`, `SCardStatus` and `SCardBeginTransaction` wait until it ends (pcsc-lite
 * `winscard.c`). pcsc-lite cannot cancel those waits, so the signal is checked between steps
 * and APDUs, and `busyTimeoutMs` bounds the wait for the card (handle_pool.ts).
 *
 * @module
 */

import {
  type CardAttempt,
  type CardOperation,
  type CardOperationOptions,
  OperationAttempt,
} from "./backend.ts";
import type { CardChannel } from "./channel.ts";
import type { PcscOptions } from "./context.ts";
import { findPcscError, isRetryable } from "./errors.ts";
import { type HandlePool, openTransaction } from "./handle_pool.ts";

/** Options for {@linkcode withCard}. */
export interface WithCardOptions extends CardOperationOptions, PcscOptions {
  /** Pause before the retry, default 100 ms (lets pcscd settle after a reset or restart). */
  retryDelayMs?: number;
  /** Preferred protocols for the connect, default T0|T1. */
  protocols?: number;
  /** Told about the error that caused the retry (for logs). */
  onRetry?: (error: unknown, failed: CardAttempt) => void;
  /** Fail with `CardBusyError` when another client keeps the card longer (0: no bound). */
  busyTimeoutMs?: number;
  /** Keep one handle per reader between operations (each still its own transaction). */
  pool?: HandlePool;
}

/** ISO 7816-4 INS codes whose data field is reference data (a PIN or PUK). */
const REFERENCE_DATA_INS = new Set([0x20, 0x24, 0x2c]);

/**
 * True when `apdu` presents reference data: interindustry class (bit 8 of CLA clear) and INS
 * VERIFY (20), CHANGE REFERENCE DATA (24) or RESET RETRY COUNTER (2C) with a non-empty data
 * field (ISO 7816-4 §5.1; a bare `00 20 00 81` only asks for the status).
 */
export function presentsReferenceData(apdu: Uint8Array): boolean {
  if (apdu.length < 6) return false; // cases 1 and 2 short: no data field
  const cla = apdu[0]!;
  if ((cla & 0x80) !== 0 || !REFERENCE_DATA_INS.has(apdu[1]!)) return false;
  if (apdu[4] !== 0) return true; // short Lc ≥ 1
  if (apdu.length === 7) return false; // extended case 2: 00 Le1 Le2, no data
  return ((apdu[5]! << 8) | apdu[6]!) > 0; // extended Lc
}

/** Wraps a channel: checks the signal before each APDU and commits before a PIN goes out. */
function guard(
  inner: CardChannel,
  attempt: CardAttempt,
  outer: AbortSignal | undefined,
): CardChannel {
  return {
    reader: inner.reader,
    get atr() {
      return inner.atr;
    },
    transmit(apdu: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
      outer?.throwIfAborted();
      if (presentsReferenceData(apdu)) {
        attempt.commit(`INS ${apdu[1]!.toString(16).toUpperCase().padStart(2, "0")} sent`);
      }
      return inner.transmit(apdu, signal ?? outer);
    },
    ...(inner.resetOnEnd ? { resetOnEnd: () => inner.resetOnEnd?.() } : {}),
  };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function runOnce<T>(
  reader: string,
  fn: CardOperation<T>,
  attempt: CardAttempt,
  options: WithCardOptions,
): Promise<T> {
  const { signal } = options;
  signal?.throwIfAborted();
  const opened = await openTransaction(reader, options);
  let broken = false;
  try {
    signal?.throwIfAborted();
    return await fn(guard(opened.tx.channel, attempt, signal), attempt);
  } catch (e) {
    broken = isRetryable(e) || findPcscError(e) !== undefined;
    throw e;
  } finally {
    await opened.close(broken);
  }
}

/**
 * Runs `fn` inside one PC/SC transaction on a fresh context and shared handle, retrying once on
 * card-gone/service-gone errors unless the attempt was committed (see the module header).
 * Nothing is held after it settles. Errors are `PcscError` (from PC/SC), the signal's reason,
 * or whatever `fn` throws.
 */
export async function withCard<T>(
  reader: string,
  fn: CardOperation<T>,
  options: WithCardOptions = {},
): Promise<T> {
  const attempts = options.retry === false ? 1 : 2;
  for (let n = 1;; n++) {
    options.signal?.throwIfAborted();
    const attempt = new OperationAttempt(n);
    try {
      return await runOnce(reader, fn, attempt, options);
    } catch (e) {
      if (n >= attempts || attempt.committed || !isRetryable(e)) throw e;
      if (options.signal?.aborted) throw options.signal.reason;
      options.onRetry?.(e, attempt);
      await delay(options.retryDelayMs ?? 100, options.signal);
    }
  }
}

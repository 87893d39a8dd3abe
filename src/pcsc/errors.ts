/**
 * PC/SC failures as one error class that names the pcsc-lite constant, plus the two
 * classifications the reader layer acts on: the card (or its handle) is gone, or pcscd is gone.
 *
 * @module
 */

import {
  returnCodeExplanation,
  returnCodeName,
  SCARD_E_INVALID_HANDLE,
  SCARD_E_NO_SERVICE,
  SCARD_E_NO_SMARTCARD,
  SCARD_E_NOT_TRANSACTED,
  SCARD_E_READER_UNAVAILABLE,
  SCARD_E_SERVICE_STOPPED,
  SCARD_F_COMM_ERROR,
  SCARD_S_SUCCESS,
  SCARD_W_REMOVED_CARD,
  SCARD_W_RESET_CARD,
  SCARD_W_SECURITY_VIOLATION,
  SCARD_W_UNPOWERED_CARD,
  toReturnCode,
} from "../../ffi/mod.ts";

/** What each pcsc-lite call was trying to do, for "Cannot …" messages. */
const ACTIONS: Record<string, string> = {
  SCardEstablishContext: "establish PC/SC context",
  SCardReleaseContext: "release PC/SC context",
  SCardListReaders: "list readers",
  SCardGetStatusChange: "wait for reader events",
  SCardCancel: "cancel reader wait",
  SCardConnect: "connect to card",
  SCardReconnect: "reconnect to card",
  SCardDisconnect: "disconnect from card",
  SCardBeginTransaction: "begin card transaction",
  SCardEndTransaction: "end card transaction",
  SCardStatus: "read card status",
  SCardTransmit: "transmit APDU",
  SCardControl: "send reader control code",
  SCardGetAttrib: "read reader attribute",
};

/** Options for {@linkcode PcscError}. */
export interface PcscErrorOptions extends ErrorOptions {
  /** Extra context placed after the action, e.g. `in "Virtual PCD 00 00"`. */
  detail?: string;
}

/**
 * A pcsc-lite call returned an error code. The message names the constant, e.g.
 * `Cannot establish PC/SC context: pcscd is not running (SCARD_E_NO_SERVICE)`.
 */
export class PcscError extends Error {
  /** The pcsc-lite function that failed, e.g. `"SCardConnect"`. */
  readonly op: string;
  /** The return code as an unsigned 32-bit number, e.g. `0x8010001D`. */
  readonly rv: number;
  /** The constant's name, e.g. `"SCARD_E_NO_SERVICE"` (or `"0x…"` when unknown). */
  readonly code: string;

  /** `op` is the pcsc-lite function name, `rv` its return value (any width/sign). */
  constructor(op: string, rv: number, options: PcscErrorOptions = {}) {
    const code = returnCodeName(rv);
    const why = returnCodeExplanation(rv);
    const action = ACTIONS[op] ?? `call ${op}`;
    const where = options.detail === undefined ? "" : ` ${options.detail}`;
    super(
      `Cannot ${action}${where}: ${why === undefined ? code : `${why} (${code})`}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "PcscError";
    this.op = op;
    this.rv = rv >>> 0;
    this.code = code;
  }
}

/**
 * Throws a {@linkcode PcscError} unless `raw` (a `LONG` result) is `SCARD_S_SUCCESS`.
 * The one choke point for pcsc-lite return values.
 */
export function check(op: string, raw: number | bigint, detail?: string): void {
  const rv = toReturnCode(raw);
  if (rv !== SCARD_S_SUCCESS) {
    throw new PcscError(op, rv, detail === undefined ? {} : { detail });
  }
}

/** Codes meaning the card handle can no longer be used: reset, removed, reader gone. */
const CARD_GONE = new Set<number>([
  SCARD_W_RESET_CARD,
  SCARD_W_REMOVED_CARD,
  SCARD_W_UNPOWERED_CARD,
  SCARD_E_NO_SMARTCARD,
  SCARD_E_INVALID_HANDLE,
  SCARD_E_READER_UNAVAILABLE,
  SCARD_E_NOT_TRANSACTED,
]);

/**
 * Codes meaning pcscd itself went away (or was never there). libpcsclite reports a socket
 * reset (ECONNRESET, e.g. pcscd exiting during a wait) as SCARD_W_SECURITY_VIOLATION
 * (pcsc-lite `winscard_msg.c` MessageReceiveTimeout).
 */
const SERVICE_GONE = new Set<number>([
  SCARD_E_NO_SERVICE,
  SCARD_E_SERVICE_STOPPED,
  SCARD_F_COMM_ERROR,
  SCARD_W_SECURITY_VIOLATION,
]);

/**
 * The first {@linkcode PcscError} in `e` or its `cause` chain (upper layers may wrap it), or
 * undefined.
 */
export function findPcscError(e: unknown): PcscError | undefined {
  let current: unknown = e;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (current instanceof PcscError) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

/**
 * True when `e` says the card or our handle to it is gone: `SCARD_W_RESET_CARD`,
 * `SCARD_W_REMOVED_CARD`, `SCARD_W_UNPOWERED_CARD`, `SCARD_E_NO_SMARTCARD`,
 * `SCARD_E_INVALID_HANDLE`, `SCARD_E_READER_UNAVAILABLE`, `SCARD_E_NOT_TRANSACTED`.
 */
export function isCardGone(e: unknown): boolean {
  const p = findPcscError(e);
  return p !== undefined && CARD_GONE.has(p.rv);
}

/**
 * True when `e` says pcscd is gone: `SCARD_E_NO_SERVICE`, `SCARD_E_SERVICE_STOPPED`,
 * `SCARD_F_COMM_ERROR`, `SCARD_W_SECURITY_VIOLATION` (a reset connection).
 */
export function isServiceGone(e: unknown): boolean {
  const p = findPcscError(e);
  return p !== undefined && SERVICE_GONE.has(p.rv);
}

/** True when a fresh context and handle may succeed where this attempt failed. */
export function isRetryable(e: unknown): boolean {
  return isCardGone(e) || isServiceGone(e);
}
